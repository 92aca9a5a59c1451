"""One codec for every process: Avro single-object encoding over the schemas in schemas/."""

from .avro import DecodeError, decode, encode
from .models import (
    event_from_request_record,
    execution_to_record,
    order_from_record,
    order_to_record,
    output_to_record,
    request_to_record,
)

__all__ = [
    "DecodeError",
    "decode",
    "encode",
    "event_from_request_record",
    "execution_to_record",
    "order_from_record",
    "order_to_record",
    "output_to_record",
    "request_to_record",
]
