"""`brokerage kafka|topics|worker|exchange-sim|sequencer|connector|api|up|demo|schemas`:
the stack's processes, one each or all with `up`, and what sets up, shows and checks it.

Handlers import what they run when called, so building the parser stays light.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from brokerage.config import Settings


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    k = sub.add_parser("kafka", help="the embedded local Kafka broker")
    k.add_argument("action", choices=["start", "stop", "status", "acls"])
    k.add_argument("--port", type=int, default=None)
    k.add_argument("--data-dir", type=Path, default=None)
    k.add_argument("--secure", action="store_true",
                   help="SASL_SSL with SCRAM users per service, TLS and ACLs (README: Security)")
    k.set_defaults(fn=_kafka)

    t = sub.add_parser("topics", help="create the topics (idempotent)")
    t.add_argument("--partitions", type=int, default=None)
    t.set_defaults(fn=_topics)

    w = sub.add_parser("worker", help="a Faust worker: validate, block, book, settle")
    w.add_argument("--id", default="0", help="worker id; names its RocksDB directory")
    w.add_argument("--web-port", type=int, default=None)
    w.set_defaults(fn=_worker)

    x = sub.add_parser("exchange-sim", help="the exchange simulator (a separate venue)")
    x.add_argument("--port", type=int, default=None)
    x.set_defaults(fn=_exchange_sim)

    sub.add_parser("sequencer", help="merge requests and executions into the input log"
                   ).set_defaults(fn=_sequencer)

    sub.add_parser("connector", help="exchange connector: orders -> exchange -> executions"
                   ).set_defaults(fn=_connector)

    a = sub.add_parser("api", help="the HTTP API")
    a.add_argument("--port", type=int, default=None)
    a.set_defaults(fn=_api)

    sub.add_parser("up", help="run the whole stack in the foreground").set_defaults(fn=_up)

    d = sub.add_parser("demo", help="seed traders, trade, print the outcome")
    d.add_argument("--standalone", action="store_true",
                   help="start the stack (and broker) for the demo, then stop it")
    d.set_defaults(fn=_demo)
    sc = sub.add_parser("schemas", help="check schema compatibility with released versions")
    sc.add_argument("action", choices=["check"])
    sc.set_defaults(fn=_schemas)


def _kafka(args: argparse.Namespace, s: Settings) -> int:
    from brokerage.entrypoints import kafka_cmd

    return kafka_cmd.run(args, s)


def _topics(args: argparse.Namespace, s: Settings) -> int:
    from brokerage.adapters.kafka import create_topics, topic_configs, topic_names
    from brokerage.entrypoints.bootstrap import resolve

    create_topics(resolve(s), topic_names(s), args.partitions or s.partitions,
                  configs=topic_configs(s), replication=s.replication_factor)
    print("topics ready:", ", ".join(topic_names(s)))
    return 0


def _worker(args: argparse.Namespace, s: Settings) -> int:
    from brokerage.entrypoints.bootstrap import resolve
    from streams.worker import run

    if args.web_port:
        s = s.model_copy(update={"worker_web_port": args.web_port})
    run(s, resolve(s), args.id)
    return 0


def _exchange_sim(args: argparse.Namespace, s: Settings) -> int:
    from brokerage.domain.hours import parse_close
    from connectors.venue.market_maker import MarketMakerConfig
    from connectors.venue.server import run_sim

    try:
        close_at = parse_close(s.exchange_close_utc)
    except ValueError as exc:
        raise RuntimeError(str(exc)) from None
    snapshot = s.exchange_snapshot or s.state_dir / "exchange" / "venue.snapshot"
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    mm = MarketMakerConfig(s.exchange_mm_levels, s.exchange_mm_qty, s.exchange_mm_spacing_bps)
    run_sim(args.port or s.exchange_port, snapshot, s.exchange_seed, s.exchange_latency_ms,
            s.exchange_reject_rate, s.exchange_error_rate, host=s.exchange_host, mm=mm,
            refdata_path=s.refdata_path,
            fsync=s.exchange_fsync, close_at=close_at)
    return 0


def _sequencer(args: argparse.Namespace, s: Settings) -> int:
    from brokerage.entrypoints.bootstrap import resolve
    from streams.sequencer import run

    run(s, resolve(s))
    return 0


def _connector(args: argparse.Namespace, s: Settings) -> int:
    from brokerage.entrypoints.bootstrap import resolve
    from connectors.link.runner import run

    run(s, resolve(s))
    return 0


def _api(args: argparse.Namespace, s: Settings) -> int:
    import uvicorn

    from api.app import create_app
    from brokerage.entrypoints.bootstrap import resolve
    from brokerage.security.http import uvicorn_ssl

    port = args.port or s.api_port
    uvicorn.run(create_app(s, resolve(s)), host=s.api_host, port=port, log_config=None,
                access_log=False,  # our logging; the API writes its own access lines
                **uvicorn_ssl(s))  # HTTPS when given a certificate
    return 0


def _up(args: argparse.Namespace, s: Settings) -> int:
    from brokerage.entrypoints.stack import up

    return up(s)


def _demo(args: argparse.Namespace, s: Settings) -> int:
    from brokerage.entrypoints.demo import run

    return run(s, standalone=args.standalone)


def _schemas(args: argparse.Namespace, s: Settings) -> int:
    from brokerage.entrypoints.schemas_cmd import run_check

    return run_check()
