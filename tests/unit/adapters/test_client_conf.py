"""The pipeline clients' batching and codec come from the settings, and a codec librdkafka
does not know is refused when the settings load, not when a producer starts."""

from __future__ import annotations

import pytest
from confluent_kafka import Producer
from pydantic import ValidationError

from brokerage.adapters.kafka import batching, producing
from brokerage.config import Settings


def test_producers_take_the_linger_and_codec_of_the_settings() -> None:
    s = Settings(kafka_linger_ms=7.5, kafka_compression="zstd")
    assert producing(s) == {"linger.ms": 7.5, "compression.type": "zstd"}
    assert batching(s) == {"fetch.wait.max.ms": 10, "fetch.min.bytes": 16_384}


@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4", "zstd"])
def test_every_allowed_codec_is_one_librdkafka_takes(codec: str) -> None:
    # No broker is contacted: a producer only checks its configuration when made.
    Producer({"bootstrap.servers": "127.0.0.1:9", **producing(Settings(kafka_compression=codec))})


def test_an_unknown_codec_is_refused_with_the_settings() -> None:
    with pytest.raises(ValidationError, match="kafka_compression"):
        Settings(kafka_compression="brotli")
