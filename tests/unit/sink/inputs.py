"""Build trader-inputs messages as the sequencer writes them (Avro value, envelope headers)."""

from __future__ import annotations

from dataclasses import dataclass, field

from brokerage.codec import avro
from brokerage.codec.models import execution_to_record, request_to_record
from brokerage.domain import events as ev
from brokerage.service.frames import Input
from brokerage.service.handler import envelope

EXECUTIONS = "executions"


@dataclass
class Log:
    """An input log of one partition; offsets and source offsets count up from 0."""

    inputs: list[Input] = field(default_factory=list)
    clock: int = 1_700_000_000_000

    def add(self, event: ev.Request | ev.ExecutionReport) -> Input:
        self.clock += 1000
        off = len(self.inputs)
        if isinstance(event, ev.ExecutionReport):
            topic, value = EXECUTIONS, avro.encode("execution_report", execution_to_record(event))
        else:
            topic, value = "requests", avro.encode("trade_request", request_to_record(event))
        msg = Input("inputs", 0, off, event.trader_id.encode(), value,
                    envelope(topic, 0, off, self.clock), self.clock)
        self.inputs.append(msg)
        return msg
