"""The Avro codec is registered with Faust and speaks the same bytes as everything else."""

from __future__ import annotations

from faust.serializers import codecs as faust_codecs

from brokerage.codec import avro
from brokerage.codec.models import output_to_record
from brokerage.domain.events import Response
from brokerage.domain.types import TradeStatus
from streams import codecs


def test_registered_faust_codec_round_trips_and_matches_our_bytes() -> None:
    codecs.register()
    record = output_to_record(Response("r1", "alice", True, "alice.01", TradeStatus.PENDING_NEW))
    data = faust_codecs.dumps("avro_trade_event", record)
    assert data == avro.encode("trade_event", record)
    assert faust_codecs.loads("avro_trade_event", data)["request_id"] == "r1"
