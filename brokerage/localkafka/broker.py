"""Start, stop and inspect a detached single-node KRaft Kafka broker kept in one data directory."""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from brokerage.adapters.kafka import admin_client
from brokerage.localkafka import props
from brokerage.localkafka.fetch import check_java, ensure_kafka_jars
from brokerage.localkafka.procs import free_port, is_kafka, kill_group, port_free, port_open, tail
from brokerage.security import brokerconf, clientconf, users
from brokerage.security.keys import write_private


@dataclass(frozen=True)
class BrokerInfo:
    pid: int
    port: int
    bootstrap: str
    data_dir: Path
    secure: bool = False  # SASL_SSL + ACLs (brokerage kafka start --secure)


class BrokerError(RuntimeError):
    """The local broker could not be started."""


class AlreadyRunningError(BrokerError):
    pass


class PortInUseError(BrokerError):
    pass


def status(data_dir: Path) -> BrokerInfo | None:
    try:
        pid = int((data_dir / "broker.pid").read_text().strip())
        record = json.loads((data_dir / "broker.json").read_text())
    except (OSError, ValueError):
        return None
    if not is_kafka(pid):
        return None
    secure = bool(record.get("secure"))
    if secure:  # this process talks to it as admin (its own tools, tests, `brokerage up`)
        clientconf.register(record["bootstrap"],
                            brokerconf.admin_client_conf(brokerconf.prepare(data_dir)))
    return BrokerInfo(pid, int(record["port"]), record["bootstrap"], data_dir, secure)


def start(
    port: int,
    data_dir: Path,
    *,
    version: str,
    cache_dir: Path,
    heap: str,
    partitions: int = 8,
    timeout: float = 60.0,
    secure: bool = False,
) -> BrokerInfo:
    data_dir = data_dir.resolve()
    if (running := status(data_dir)) is not None:
        raise AlreadyRunningError(
            f"Kafka already running (pid {running.pid}) on {running.bootstrap}; "
            "use `brokerage kafka stop`"
        )
    if not port_free(port):
        raise PortInUseError(f"Port 127.0.0.1:{port} is already in use; pick another Kafka port")
    libs, java = ensure_kafka_jars(version, cache_dir), check_java()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_dirs, server = data_dir / "data", data_dir / "server.properties"
    formatted = (log_dirs / "meta.properties").exists()
    was_secure = (brokerconf.security_dir(data_dir) / "credentials.json").exists()
    if formatted and secure != was_secure:  # SCRAM users are made when storage is formatted
        raise BrokerError(f"{data_dir} was formatted {'with' if was_secure else 'without'} "
                          "--secure: start it the same way, or use another data dir")
    material = brokerconf.prepare(data_dir) if secure else None
    # The formatted quorum records its controller endpoint: reuse it when free (a new one works).
    previous = props.previous_controller_port(server) if formatted else None
    controller = previous if previous and port_free(previous) else free_port()
    text = props.render_server(port, controller, log_dirs, partitions)
    if material is not None:  # holds the admin password: owner-only
        write_private(server, brokerconf.harden(text, port, controller, material))
    else:
        server.write_text(text)
    log4j = data_dir / "log4j2.properties"
    log4j.write_text(props.render_log4j2(data_dir / "server.log"))
    cp = ["-cp", f"{libs}/*", f"-Dlog4j2.configurationFile={log4j}"]
    if not formatted:  # formatting once keeps topics and offsets across restarts
        fmt = ["kafka.tools.StorageTool", "format", "--standalone", "-t", props.cluster_id()]
        if material is not None:
            fmt += users.scram_args(material.creds, brokerconf.MECHANISM)
        done = subprocess.run([java, *cp, *fmt, "-c", str(server)], capture_output=True, text=True)
        if done.returncode != 0:
            said = done.stdout + done.stderr
            for password in (material.creds.values() if material else ()):
                said = said.replace(password, "***")  # never echo a secret
            raise BrokerError(f"Kafka storage format failed:\n{said}")
    opts = [f"-Xmx{heap}", "-Djava.awt.headless=true", "-XX:+ExitOnOutOfMemoryError"]
    opts.append("-Dlog4j2.shutdownHookEnabled=false")  # else log4j dies before Kafka's shutdown
    broker_log = data_dir / "broker.log"
    with open(broker_log, "ab") as out:
        proc = subprocess.Popen(
            [java, *opts, *cp, "kafka.Kafka", str(server)],
            cwd=data_dir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: outlives the caller, stop() kills it all
        )
    bootstrap = f"127.0.0.1:{port}"
    (data_dir / "broker.pid").write_text(f"{proc.pid}\n")
    record = {"pid": proc.pid, "port": port, "bootstrap": bootstrap, "version": version,
              "secure": secure}
    if material is not None:
        clientconf.register(bootstrap, brokerconf.admin_client_conf(material))
        brokerconf.write_client_env(material, bootstrap)
    (data_dir / "broker.json").write_text(json.dumps(record, indent=2) + "\n")
    try:
        _wait_ready(proc, port, timeout)
    except BrokerError as exc:
        stop(data_dir)
        raise BrokerError(f"{exc}\n{tail(broker_log, data_dir / 'server.log')}") from None
    return BrokerInfo(proc.pid, port, bootstrap, data_dir, secure)


def _wait_ready(proc: subprocess.Popen[bytes], port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BrokerError(f"Kafka exited with code {proc.returncode} during startup")
        # Probe the socket first so librdkafka doesn't log connection refusals.
        if port_open("127.0.0.1", port):
            try:
                admin_client(f"127.0.0.1:{port}").list_topics(timeout=5)
                return
            except Exception:  # KafkaException until the broker has registered
                pass
        time.sleep(0.25)
    raise BrokerError(f"Kafka did not become ready on 127.0.0.1:{port} within {timeout:.0f}s")


def stop(data_dir: Path, timeout: float = 20.0) -> bool:
    """SIGTERM the broker's process group, SIGKILL after `timeout`; False if none was running."""
    info = status(data_dir)
    if info is not None:
        kill_group(info.pid, timeout)
    (data_dir / "broker.pid").unlink(missing_ok=True)
    return info is not None
