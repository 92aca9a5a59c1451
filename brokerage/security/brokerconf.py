"""The local broker in secure mode: SASL_SSL with SCRAM-SHA-512, an ACL authorizer, and the
TLS material, users and a client env file in <data dir>/security."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from . import certs, users
from .keys import write_private

MECHANISM = "SCRAM-SHA-512"


@dataclass(frozen=True)
class Material:
    directory: Path
    ca: Path
    keystore: Path  # broker key + certificate chain (PEM)
    credentials: Path
    client_env: Path
    creds: dict[str, str]


def security_dir(data_dir: Path) -> Path:
    return data_dir / "security"


def prepare(data_dir: Path) -> Material:
    """CA, broker certificate and users: made on the first secure start, then reused."""
    d = security_dir(data_dir)
    d.mkdir(parents=True, exist_ok=True)
    d.chmod(0o700)
    ca = certs.make_ca(d)
    broker = d / "broker-bundle.pem"
    if not broker.exists():
        certs.issue(d, "broker", ca)
    cred_path = d / "credentials.json"
    creds = users.make_credentials(cred_path)
    env = d / "client.env"
    return Material(d, ca[0], broker, cred_path, env, creds)


def write_client_env(m: Material, bootstrap: str) -> None:
    """Settings for a shell to reach this broker as admin: `set -a; . client.env; set +a`."""
    write_private(m.client_env, "\n".join([
        f"KAFKA_BOOTSTRAP_SERVERS={bootstrap}",
        "BROKERAGE_KAFKA_SECURITY_PROTOCOL=SASL_SSL",
        f"BROKERAGE_KAFKA_SASL_MECHANISM={MECHANISM}",
        f"BROKERAGE_KAFKA_SSL_CAFILE={m.ca}",
        f"BROKERAGE_KAFKA_CREDENTIALS_FILE={m.credentials}",
        f"BROKERAGE_KAFKA_USERNAME={users.ADMIN}",
    ]) + "\n")


def _jaas(module: str, user: str, password: str, extra: str = "") -> str:
    return f'{module} required username="{user}" password="{password}"{extra};'


def harden(server_properties: str, port: int, controller_port: int, m: Material) -> str:
    """Plaintext properties -> SASL_SSL on the client port; the controller port, on 127.0.0.1
    only, takes SASL PLAIN as admin (so no anonymous principal needs to be a super user)."""
    admin = m.creds[users.ADMIN]
    plain = "org.apache.kafka.common.security.plain.PlainLoginModule"
    scram = "org.apache.kafka.common.security.scram.ScramLoginModule"
    listeners = f"SASL_SSL://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}"
    replace = {
        "listeners": listeners,
        "advertised.listeners": listeners,
        "inter.broker.listener.name": "SASL_SSL",
        "listener.security.protocol.map": "CONTROLLER:SASL_PLAINTEXT,SASL_SSL:SASL_SSL",
    }
    for name, value in replace.items():
        server_properties = re.sub(rf"^{re.escape(name)}=.*$", f"{name}={value}",
                                   server_properties, flags=re.M)
    extra = {
        "sasl.enabled.mechanisms": MECHANISM,
        "sasl.mechanism.inter.broker.protocol": MECHANISM,
        "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": _jaas(scram, "admin", admin),
        "sasl.mechanism.controller.protocol": "PLAIN",
        "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.controller.plain.sasl.jaas.config":
            _jaas(plain, "admin", admin, f' user_admin="{admin}"'),
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": str(m.keystore),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(m.ca),
        "ssl.client.auth": "none",  # clients prove who they are with SCRAM
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": "User:admin",
        "allow.everyone.if.no.acl.found": "false",
        # Hardening: refuse oversized requests before they are read into memory.
        "socket.request.max.bytes": str(16 * 1024 * 1024),
        "connections.max.reauth.ms": str(3600 * 1000),
    }
    lines = "\n".join(f"{k}={v}" for k, v in extra.items())
    return server_properties + "# Secure mode (brokerage kafka start --secure)\n" + lines + "\n"


def admin_client_conf(m: Material) -> dict[str, str]:
    return {"security.protocol": "SASL_SSL", "sasl.mechanism": MECHANISM,
            "sasl.username": users.ADMIN, "sasl.password": m.creds[users.ADMIN],
            "ssl.ca.location": str(m.ca)}


def client_settings(data_dir: Path) -> dict[str, object]:
    """Settings fields that reach the local secure broker as admin (Settings.model_copy)."""
    d = security_dir(data_dir)
    return {"kafka_security_protocol": "SASL_SSL", "kafka_sasl_mechanism": MECHANISM,
            "kafka_ssl_cafile": d / "ca.pem", "kafka_credentials_file": d / "credentials.json",
            "kafka_username": users.ADMIN, "kafka_password": None}
