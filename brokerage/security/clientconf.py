"""How every Kafka client of this process connects: plaintext, or SASL_SSL as its own user.

`client_conf(bootstrap)` is the one place librdkafka clients (producers, consumers, admin)
get `bootstrap.servers` and their security settings; `faust_credentials` is the same for the
worker's aiokafka clients. Settings come from this process's environment (get_settings), or
from a bootstrap registered here (a test or `brokerage kafka start` talking to its broker).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from . import users

if TYPE_CHECKING:
    from faust.auth import SASLCredentials

    from brokerage.config import Settings

SASL = ("SASL_SSL", "SASL_PLAINTEXT")
ClientConf = dict[str, str | int | float | bool]  # what confluent-kafka's clients take
_registered: dict[str, dict[str, str]] = {}


class KafkaAuthConfigError(RuntimeError):
    pass


def register(bootstrap: str, conf: dict[str, str]) -> None:
    """Clients of this process that use `bootstrap` connect with `conf` (security keys)."""
    _registered[bootstrap] = dict(conf)


def unregister(bootstrap: str) -> None:
    _registered.pop(bootstrap, None)


@contextmanager
def using(bootstrap: str, conf: dict[str, str]) -> Iterator[None]:
    """`conf` for `bootstrap` in this block; then whatever was registered before."""
    before = _registered.get(bootstrap)
    register(bootstrap, conf)
    try:
        yield
    finally:
        if before is None:
            unregister(bootstrap)
        else:
            register(bootstrap, before)


def credentials(s: Settings) -> tuple[str, str]:
    """(username, password): the password from settings, else from the credentials file."""
    user = s.kafka_username
    if not user:
        raise KafkaAuthConfigError(
            f"BROKERAGE_KAFKA_SECURITY_PROTOCOL={s.kafka_security_protocol} needs "
            "BROKERAGE_KAFKA_USERNAME (the service's own user, e.g. worker, api, admin)")
    if s.kafka_password is not None:
        return user, s.kafka_password.get_secret_value()
    if s.kafka_credentials_file is None:
        raise KafkaAuthConfigError(
            f"no Kafka password for user {user!r}: set BROKERAGE_KAFKA_PASSWORD or "
            "BROKERAGE_KAFKA_CREDENTIALS_FILE")
    creds = users.read_credentials(s.kafka_credentials_file)
    if user not in creds:
        raise KafkaAuthConfigError(
            f"user {user!r} is not in the credentials file {s.kafka_credentials_file}")
    return user, creds[user]


def security_conf(s: Settings) -> dict[str, str]:
    """librdkafka settings for `s`: empty for PLAINTEXT."""
    protocol = s.kafka_security_protocol.upper()
    if protocol == "PLAINTEXT":
        return {}
    conf = {"security.protocol": protocol}
    if protocol in ("SSL", "SASL_SSL") and s.kafka_ssl_cafile:
        conf["ssl.ca.location"] = str(s.kafka_ssl_cafile)
    if protocol in SASL:
        user, password = credentials(s)
        conf.update({"sasl.mechanism": s.kafka_sasl_mechanism, "sasl.username": user,
                     "sasl.password": password})
    return conf


def client_conf(bootstrap: str) -> ClientConf:
    conf: ClientConf = {"bootstrap.servers": bootstrap}
    if bootstrap in _registered:
        conf.update(_registered[bootstrap])
    else:
        from brokerage.config import get_settings

        conf.update(security_conf(get_settings()))
    return conf


def ssl_context(cafile: str | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def faust_credentials(s: Settings) -> SASLCredentials | ssl.SSLContext | None:
    """`broker_credentials` for faust (aiokafka): None for PLAINTEXT."""
    protocol = s.kafka_security_protocol.upper()
    if protocol == "PLAINTEXT":
        return None
    cafile = str(s.kafka_ssl_cafile) if s.kafka_ssl_cafile else None
    ctx = ssl_context(cafile) if protocol in ("SSL", "SASL_SSL") else None
    if protocol not in SASL:
        if ctx is None:
            raise KafkaAuthConfigError(f"unsupported Kafka security protocol {protocol}")
        return ctx
    from faust.auth import SASLCredentials

    user, password = credentials(s)
    return SASLCredentials(username=user, password=password, ssl_context=ctx,
                           mechanism=s.kafka_sasl_mechanism)


def per_service(s: Settings) -> bool:
    """SASL with a credentials file holding every user: each process can sign in as its own.
    (With one given password, every process signs in as that one user.)"""
    return s.kafka_security_protocol.upper() in SASL and s.kafka_credentials_file is not None


def as_user(s: Settings, user: str) -> Settings:
    """`s` signed in as `user` when per_service(s), else `s` as it is."""
    if not per_service(s):
        return s
    return s.model_copy(update={"kafka_username": user, "kafka_password": None})


def service_env(env: dict[str, str], command: str, s: Settings) -> dict[str, str]:
    """A child's environment: under SASL with a credentials file, each service signs in as
    its own user (ACLs), never with the parent's password. A child with no Kafka client
    (the exchange simulator, a stand-in for a remote venue) gets no Kafka identity at all."""
    if command in users.NO_KAFKA:
        return {k: v for k, v in env.items() if k not in _IDENTITY}
    user = users.ROLE_USERS.get(command)
    if user and per_service(s):
        return {**{k: v for k, v in env.items() if k not in _IDENTITY}, **identity(s, user)}
    return env


def identity(s: Settings, user: str) -> dict[str, str]:
    """The environment that signs a child in as `user` (per_service(s)): a credentials file
    of its own, with its password only; no password in the environment."""
    if s.kafka_credentials_file is None:
        raise KafkaAuthConfigError("a child's own credentials need a credentials file")
    own = users.own_credentials(s.kafka_credentials_file, user)
    return {"BROKERAGE_KAFKA_USERNAME": user, "BROKERAGE_KAFKA_CREDENTIALS_FILE": str(own)}


_IDENTITY = ("BROKERAGE_KAFKA_USERNAME", "BROKERAGE_KAFKA_PASSWORD",
             "BROKERAGE_KAFKA_CREDENTIALS_FILE")
