"""Static schema compatibility: can data written with one Avro schema be read with another?

`problems(reader, writer)` applies the "Schema Resolution" rules of the Avro specification
(which is also what fastavro does when it decodes) and explains every place they fail, e.g.
"TradeRequest.body[NewTrade].quantity: writer string cannot be read as long". `check_all`
compares the current schemas with every released version kept in schemas/history.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fastavro import parse_schema

import schemas

Schema = Any  # JSON-shaped Avro: a type name, a union list or a dict
PROMOTIONS = {"int": ("long", "float", "double"), "long": ("float", "double"),
              "float": ("double",), "string": ("bytes",), "bytes": ("string",)}
NAMED = ("record", "error", "enum", "fixed")


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _names(s: Schema, table: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every named type declared in `s`, by full name (parse_schema has qualified them)."""
    if isinstance(s, list):
        for branch in s:
            _names(branch, table)
    elif isinstance(s, dict):
        t = s["type"]
        if t in NAMED:
            table[s["name"]] = s
        for sub in [f["type"] for f in s.get("fields", [])] + [s.get("items"), s.get("values")]:
            _names(sub, table)
        if isinstance(t, list | dict):
            _names(t, table)
    return table


def _kind(s: Schema) -> str:
    if isinstance(s, list):
        return "union"
    if isinstance(s, str):
        return s
    return "record" if s["type"] == "error" else str(s["type"])


def _label(s: Schema) -> str:
    if isinstance(s, list):
        return "union [" + ", ".join(_label(b) for b in s) + "]"
    if not isinstance(s, dict) or "name" not in s:
        return _kind(s)
    return f"{_kind(s)} {_short(s['name'])}" + (f" (size {s['size']})" if "size" in s else "")


class _Resolver:
    def __init__(self, reader: Schema, writer: Schema) -> None:
        self.reader = parse_schema(reader, _write_hint=False, _force=True)
        self.writer = parse_schema(writer, _write_hint=False, _force=True)
        self.r_names = _names(self.reader, {})
        self.w_names = _names(self.writer, {})
        self.active: set[tuple[str, str]] = set()  # record pairs being checked (recursion)
        self.found: list[str] = []

    @staticmethod
    def deref(s: Schema, names: dict[str, dict[str, Any]]) -> Schema:
        """Follow named references and unwrap {"type": "long", "logicalType": ...} style dicts."""
        while True:
            if isinstance(s, str) and s in names:
                s = names[s]
            elif isinstance(s, dict) and s["type"] not in NAMED + ("array", "map"):
                s = s["type"]
            else:
                return s

    def matches(self, r: Schema, w: Schema) -> bool:
        """The spec's shallow "match", used to pick the reader branch of a union."""
        r, w = self.deref(r, self.r_names), self.deref(w, self.w_names)
        rk, wk = _kind(r), _kind(w)
        if "union" in (rk, wk):
            return True  # unions cannot nest directly; resolved a level down
        if rk != wk:
            return rk in PROMOTIONS.get(wk, ())
        if rk in NAMED:  # same unqualified name, or the reader has the writer's as an alias
            ns, aliases = r["name"].rpartition(".")[0], r.get("aliases", [])
            known = {_short(r["name"]), *aliases, *(f"{ns}.{a}" for a in aliases if "." not in a)}
            named = bool({w["name"], _short(w["name"])} & known)
            return named and (rk != "fixed" or r["size"] == w["size"])
        if rk == "array":
            return self.matches(r["items"], w["items"])
        return rk != "map" or self.matches(r["values"], w["values"])

    def pick(self, r_union: list[Any], w: Schema, path: str) -> None:
        chosen = next((b for b in r_union if self.matches(b, w)), None)
        if chosen is None:
            self.found.append(f"{path}: writer {_label(self.deref(w, self.w_names))} matches no "
                              f"branch of reader {_label(r_union)}")
        else:
            self.check(chosen, w, path)

    def check(self, r: Schema, w: Schema, path: str) -> None:
        r, w = self.deref(r, self.r_names), self.deref(w, self.w_names)
        rk, wk = _kind(r), _kind(w)
        if wk == "union":  # every branch the writer may pick must be readable
            for branch in w:
                b = self.deref(branch, self.w_names)
                bpath = f"{path}[{_short(b['name']) if isinstance(b, dict) else _kind(b)}]"
                if rk == "union":
                    self.pick(r, b, bpath)
                else:
                    self.check(r, b, bpath)
        elif rk == "union":
            self.pick(r, w, path)
        elif rk == wk == "array":
            self.check(r["items"], w["items"], f"{path}[]")
        elif rk == wk == "map":
            self.check(r["values"], w["values"], f"{path}{{}}")
        elif not self.matches(r, w):
            self.found.append(f"{path}: writer {_label(w)} cannot be read as {_label(r)}")
        elif rk == "enum":
            lost = [s for s in w["symbols"] if s not in r["symbols"]]
            if lost and "default" not in r:
                self.found.append(f"{path}: writer symbols {lost} are not in reader enum "
                                  f"{_short(r['name'])}, which has no default")
        elif rk == "record" and (key := (r["name"], w["name"])) not in self.active:
            self.active.add(key)
            w_fields = {f["name"]: f for f in w["fields"]}
            for rf in r["fields"]:
                names = [rf["name"], *rf.get("aliases", [])]
                wf = next((w_fields[n] for n in names if n in w_fields), None)
                if wf is not None:
                    self.check(rf["type"], wf["type"], f"{path}.{rf['name']}")
                elif "default" not in rf:
                    self.found.append(f"{path}.{rf['name']}: reader field has no default and "
                                      f"the writer does not have it")
            self.active.discard(key)


def problems(reader: Schema, writer: Schema) -> list[str]:
    """Why data written with `writer` cannot be read with `reader`; empty when it can."""
    r = _Resolver(reader, writer)
    top = r.deref(r.writer, r.w_names)
    r.check(r.reader, r.writer, _short(top["name"]) if isinstance(top, dict) else _kind(top))
    return r.found


def released(history_dir: Path, name: str) -> list[Path]:
    """The released versions of one schema (history/<name>/v<N>.avsc), oldest first."""
    found = [p for p in (history_dir / name).glob("v*.avsc") if p.stem[1:].isdigit()]
    return sorted(found, key=lambda p: int(p.stem[1:]))


def check_all(current_dir: Path | None = None, history_dir: Path | None = None,
              names: Iterable[str] = schemas.NAMES) -> dict[str, list[str]]:
    """Per schema (default: schemas/ and schemas/history), its problems against every released
    version, prefixed "backward vs vN" (we read vN data) or "forward vs vN" (vN reads ours)."""
    current_dir = current_dir or schemas.DIR
    history_dir = history_dir or current_dir / "history"
    report: dict[str, list[str]] = {}
    for name in names:
        cur = json.loads((current_dir / f"{name}.avsc").read_text())
        report[name] = []
        for path in released(history_dir, name):
            old = json.loads(path.read_text())
            report[name] += [f"backward vs {path.stem}: {p}" for p in problems(cur, old)]
            report[name] += [f"forward vs {path.stem}: {p}" for p in problems(old, cur)]
    return report
