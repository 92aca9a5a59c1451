"""Secrets stay out of what gets printed or logged: settings, key rings, Kafka credentials,
and the errors about them."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import SecretStr

from brokerage.config import Settings
from brokerage.security import clientconf, http, keys, users

PASSWORD = "pw-9f8e7d6c5b4a"


def test_settings_never_show_secrets() -> None:
    ring = keys.dump(keys.with_new_key(None, "k1"))
    s = Settings(kafka_password=SecretStr(PASSWORD), state_keys=SecretStr(ring))
    text = f"{s} {s!r} {s.model_dump()}"
    assert PASSWORD not in text and ring not in text
    assert keys.parse(ring, "x").keys["k1"].hex() not in repr(keys.parse(ring, "x"))


def test_credential_errors_name_users_not_passwords(tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    creds = tmp_path / "c.json"
    users.make_credentials(creds)
    secrets = users.read_credentials(creds).values()
    s = Settings(kafka_security_protocol="SASL_SSL", kafka_username="nobody",
                 kafka_credentials_file=creds)
    with caplog.at_level(logging.DEBUG), pytest.raises(clientconf.KafkaAuthConfigError) as err:
        clientconf.security_conf(s)
    assert not any(p in str(err.value) + caplog.text for p in secrets)
    worker = s.model_copy(update={"kafka_username": "worker"})
    assert PASSWORD not in repr(clientconf.faust_credentials(
        worker.model_copy(update={"kafka_password": SecretStr(PASSWORD)})))


def test_api_websocket_messages_are_capped_like_bodies() -> None:
    assert http.uvicorn_ssl(Settings(api_max_body_bytes=1234)) == {"ws_max_size": 1234}
    with pytest.raises(RuntimeError, match="KEYFILE"):
        http.uvicorn_ssl(Settings(api_ssl_certfile=Path("cert.pem")))
