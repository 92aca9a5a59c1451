"""Durability: a snapshot of the engine plus an append-only journal of instructions after it.

Every state-changing instruction is written, flushed and fsynced to `<snapshot>.journal`
before the engine applies it, so whatever was answered or served is on disk. Restart =
load the snapshot, replay the journal through the deterministic engine. A torn last line
(killed mid-write, so never applied nor answered) is cut off. Compaction writes a new
snapshot (tmp + fsync + rename) recording the last journal record number it includes and
then empties the journal; records at or below that number are skipped on replay, so a
crash between the two steps is harmless.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, BinaryIO

from brokerage.adapters import fastjson
from brokerage.domain.refdata import RefData

from .engine import Engine
from .market_maker import MarketMakerConfig
from .protocol import CONFIG, Instr

log = logging.getLogger(__name__)


class Journal:
    def __init__(self, snapshot: Path, fsync: bool = True) -> None:
        self.snapshot = snapshot
        self.path = snapshot.with_name(snapshot.name + ".journal")
        self.fsync = fsync
        self.n = 0  # number of the last record written
        self.since_compact = 0
        self._f: BinaryIO | None = None

    def load(self) -> tuple[dict[str, Any] | None, list[Instr]]:
        """The snapshot (or None) and the journaled instructions not yet in it."""
        state = json.loads(self.snapshot.read_text()) if self.snapshot.exists() else None
        last = int(state["journal_n"]) if state else 0
        self.n, out, good = last, [], 0
        data = self.path.read_bytes() if self.path.exists() else b""
        lines = data.splitlines(keepends=True)
        for k, line in enumerate(lines):
            try:
                if not line.endswith(b"\n"):
                    raise ValueError("torn line")
                rec = json.loads(line)
            except ValueError:
                if k == len(lines) - 1:
                    break  # killed mid-write: this one was never applied
                raise ValueError(f"{self.path}: corrupt record {k + 1}") from None
            good += len(line)
            n = int(rec.pop("n"))
            if n > last:
                out.append(Instr.from_dict(rec))
            self.n = max(self.n, n)
        if good < len(data):
            log.warning("journal: cutting a torn tail of %d bytes", len(data) - good)
        self._f = open(self.path, "ab")
        self._f.truncate(good)
        self._sync()
        return state, out

    def append(self, instrs: list[Instr]) -> None:
        """Durably record instructions, in order. Blocking: run it off the event loop."""
        assert self._f is not None, "load() first"
        if not instrs:
            return
        lines = []
        for i in instrs:
            self.n += 1
            lines.append(fastjson.dumps({"n": self.n, **i.to_dict()}))
        self._f.write(("\n".join(lines) + "\n").encode())
        self._sync()
        self.since_compact += len(instrs)

    def compact(self, state: dict[str, Any]) -> None:
        assert self._f is not None, "load() first"
        tmp = self.snapshot.with_name(self.snapshot.name + ".tmp")
        with open(tmp, "w") as f:
            json.dump({**state, "journal_n": self.n}, f, separators=(",", ":"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.snapshot)
        dfd = os.open(self.snapshot.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
        self._f.truncate(0)
        self._sync()
        self.since_compact = 0

    def _sync(self) -> None:
        assert self._f is not None
        self._f.flush()
        if self.fsync:
            os.fsync(self._f.fileno())

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None


def restore(refdata: RefData, snapshot: Path, seed: int, reject_rate: float,
            mm: MarketMakerConfig | None = None, fsync: bool = True,
            max_reports: int = 100_000,
            max_instructions: int = 1_000_000) -> tuple[Engine, Journal]:
    """The engine as it was when the process last stopped (or a fresh one), compacted.

    A restored venue keeps its own seed and market-maker settings (they shaped its past);
    a different `reject_rate` is journaled as a config change.
    """
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    journal = Journal(snapshot, fsync)
    state, records = journal.load()
    if state is None:
        engine = Engine(refdata, seed, reject_rate, mm, max_reports, max_instructions)
    else:
        engine = Engine.from_state(refdata, state)
        if engine.seed != seed:
            log.warning("venue: keeping the snapshot's seed %d (asked %d)", engine.seed, seed)
    for i in records:
        engine.apply(i)
    log.info("venue: restored seq=%d after replaying %d instructions", engine.seq, len(records))
    journal.compact(engine.to_state())
    if engine.reject_rate != reject_rate:
        change = Instr(CONFIG, reject_rate=reject_rate)
        journal.append([change])
        engine.apply(change)
    return engine, journal
