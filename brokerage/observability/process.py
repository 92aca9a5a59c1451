"""What every process does first: logging and (optional) span export, from the settings."""

from __future__ import annotations

import logging
import os
from urllib.parse import urlsplit

from brokerage.codec.compiled import NATIVE
from brokerage.config import Settings

from . import gcpause, logs, otel

# The long-running processes; one-shot commands (trade, demo, verify...) log as text.
SERVICES = {"worker", "sequencer", "connector", "api", "exchange-sim", "sink", "topics"}


def start(command: str, settings: Settings) -> None:
    service = settings.service_name or command
    serves = command in SERVICES
    logs.setup(service, fmt=settings.log_format if serves else "text", level=settings.log_level,
               events=settings.log_events,
               events_sample=settings.log_events_sample, secrets=secrets(settings), hooks=serves,
               buffered=serves)
    if serves:
        otel.configure(service, settings.otlp_endpoint)
        gcpause.tune(settings.gc_thresholds)
        if settings.nice:
            os.nice(settings.nice)
        logging.getLogger("brokerage").info(
            "Avro codec: %s", "native (Rust)" if NATIVE is not None else "Python")


def secrets(settings: Settings) -> tuple[str | None, ...]:
    """Every secret value in the settings, and the password inside a DSN."""
    found: list[str | None] = []
    for value in settings.model_dump().values():
        if hasattr(value, "get_secret_value"):
            secret = value.get_secret_value()
            found.append(secret)
            if "://" in secret:
                found.append(urlsplit(secret).password)
    return tuple(found)
