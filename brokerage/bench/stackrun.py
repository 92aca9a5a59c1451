"""The processes a bench run measures: our stack (exchange simulator, sequencer, workers,
connector), or the raw pass-through; each on fresh topics, stopped when the block ends."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from confluent_kafka import KafkaException

from brokerage.adapters.kafka import admin_client, create_topics, topic_configs, topic_names
from brokerage.chaos.faults import workers_ready
from brokerage.chaos.run import with_workers
from brokerage.config import Settings
from brokerage.entrypoints.processes import Processes, terminate
from brokerage.localkafka import free_port
from brokerage.security import acls

from .samplers import Sampler
from .secure import bench_env, grant

# The topic-name prefixes this process made: on a broker that outlives the run
# (--bootstrap), its topics are deleted after it (run.py).
TAGS: set[str] = set()


def bench_settings(base: Settings, root: Path, partitions: int, exchange_fsync: bool,
                   ) -> Settings:
    """Unique topics, group ids, ports and state per run: runs never see each other's data.
    The app id is not a prefix of the topics: the worker's "<app_id>-*" ACL (its changelogs)
    must not cover the requests or the executions on a secure broker."""
    tag = f"bench-{uuid.uuid4().hex[:6]}"
    TAGS.add(tag)
    ex = free_port()
    return base.model_copy(update={
        **{f"topic_{t}": f"{tag}-{t}" for t in
           ("requests", "responses", "orders", "executions", "dead_letters", "inputs")},
        "app_id": f"{tag}-app", "state_dir": root / tag, "partitions": partitions,
        "exchange_port": ex, "exchange_url": f"http://127.0.0.1:{ex}",
        "connector_metrics_port": free_port(), "sequencer_metrics_port": free_port(),
        "exchange_fsync": exchange_fsync})


@contextmanager
def our_stack(settings: Settings, workers: int, log_dir: Path, sampler: Sampler,
              ready_timeout: float = 180) -> Iterator[tuple[Settings, Processes]]:
    settings, worker_args = with_workers(settings, workers)
    bootstrap = settings.kafka_bootstrap_servers
    create_topics(bootstrap, topic_names(settings), settings.partitions,
                  configs=topic_configs(settings))
    grant(settings, acls.grants(settings))  # each service as itself (secure broker)
    procs = Processes(settings, str(log_dir))
    try:
        roles = [("exchange-sim", []), ("sequencer", []), *worker_args.items(), ("connector", [])]
        for role, args in roles:
            sampler.watch(role, procs.start(role, *args).pid)
        deadline = time.monotonic() + ready_timeout
        while not workers_ready(settings.worker_url_list()):
            procs.check()
            if time.monotonic() > deadline:
                raise RuntimeError(f"the workers were not ready within {ready_timeout:.0f} s")
            time.sleep(0.3)
        s = settings
        sampler.watch_group("sequencer", f"{s.app_id}-sequencer",
                            [s.topic_requests, s.topic_executions])
        sampler.watch_group("worker", s.app_id, [s.topic_inputs])
        sampler.watch_group("connector", f"{s.app_id}-connector", [s.topic_orders])
        yield settings, procs
    finally:
        procs.stop_all()
        sampler.unwatch(*procs.procs, "sequencer", "worker", "connector")


@contextmanager
def passthroughs(s: Settings, src: str, dst: str, group: str, n: int, log_dir: Path,
                 sampler: Sampler) -> Iterator[Callable[[], None]]:
    """`n` pass-through processes in one group (as many as we run workers); yields a check
    that raises once one has exited (a refused sign-in or ACL ends it)."""
    bootstrap = s.kafka_bootstrap_servers
    children: list[subprocess.Popen[bytes]] = []
    try:
        for i in range(n):
            log = open(log_dir / f"passthrough-{i}.log", "ab")  # noqa: SIM115
            children.append(subprocess.Popen(
                [sys.executable, "-m", "brokerage.bench.passthrough", bootstrap, src, dst, group],
                stdout=log, stderr=subprocess.STDOUT, env=bench_env(s)))
            log.close()  # the child has its own descriptor
            sampler.watch(f"passthrough-{i}", children[-1].pid)
        sampler.watch_group("passthrough", group, [src])

        def alive() -> None:
            check_children([(f"passthrough-{i}", c) for i, c in enumerate(children)], log_dir)
        wait_for_group(s, group, n, alive)
        yield alive
    finally:
        for c in children:
            terminate(c)
        sampler.unwatch(*(f"passthrough-{i}" for i in range(n)), "passthrough")


def ceiling_topics(s: Settings, partitions: int) -> tuple[str, str, str]:
    tag = f"bench-raw-{uuid.uuid4().hex[:6]}"
    TAGS.add(tag)
    src, dst = f"{tag}-in", f"{tag}-out"
    create_topics(s.kafka_bootstrap_servers, [src, dst], partitions)
    grant(s, acls.pass_through(src, dst, tag))
    return src, dst, tag


def drop_run_topics(bootstrap: str) -> list[str]:
    """Delete every topic named by this run's tags (theirs, faust's changelogs, repartitions);
    the names deleted. Another run's topics on the same broker have other tags."""
    admin = admin_client(bootstrap)
    names = [t for t in admin.list_topics(timeout=30).topics
             if any(t.startswith(f"{tag}-") for tag in TAGS)]
    for name, future in (admin.delete_topics(names) if names else {}).items():
        try:
            future.result(timeout=60)
        except KafkaException as exc:  # left behind, said so: the result stands
            print(f"could not delete bench topic {name}: {exc}", flush=True)
    return names


def wait_for_group(s: Settings, group: str, members: int, alive: Callable[[], None],
                   timeout: float = 60.0) -> None:
    """Until `group` has `members` members, each with partitions: a phase that began
    earlier ran on whichever member joined first (its rebalance comes seconds later).
    `alive` raises if a member's process has exited."""
    admin, deadline = admin_client(s.kafka_bootstrap_servers), time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive()
        try:
            found = admin.describe_consumer_groups([group])[group].result(timeout=10).members
        except KafkaException:  # not there yet
            found = []
        if len(found) == members and all(m.assignment.topic_partitions for m in found):
            return
        time.sleep(0.2)
    raise RuntimeError(f"consumer group {group} did not reach {members} assigned member(s) "
                       f"within {timeout:.0f} s")


def check_children(children: list[tuple[str, subprocess.Popen[bytes]]], log_dir: Path) -> None:
    """Raise if a child (named as its log, `<name>.log`) has exited."""
    for name, c in children:
        if c.poll() is not None:
            raise RuntimeError(f"{name} exited with {c.returncode}; see {log_dir / f'{name}.log'}")
