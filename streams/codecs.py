"""Our Avro codec, registered with Faust as `avro_<schema>` (e.g. value_serializer=
"avro_trade_event"), so any Faust topic or table can speak the same contracts.

The main agent reads raw bytes on purpose and decodes with the same codec in
brokerage.service.handler, so that undecodable input reaches the dead-letter topic instead
of failing inside Faust's deserialiser.
"""

from __future__ import annotations

from typing import Any

from faust.serializers import codecs

import schemas
from brokerage.codec import avro


class AvroCodec(codecs.Codec):
    def _dumps(self, obj: Any) -> bytes:
        return avro.encode(self.kwargs["schema"], obj)

    def _loads(self, s: bytes) -> Any:
        return avro.decode(self.kwargs["schema"], s)


def register() -> None:
    for name in schemas.NAMES:
        codecs.register(f"avro_{name}", AvroCodec(schema=name))
