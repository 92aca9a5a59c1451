"""Frames of the merged input log: what the sequencer packs, every reader unpacks to the same
inputs, in order, with their origin; unframed messages and broken frames pass as one input."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner
from hypothesis import given
from hypothesis import strategies as st

from brokerage.codec import avro
from brokerage.service import frames
from brokerage.service.frames import Input

TRACE = ("traceparent", b"00-" + b"a" * 32 + b"-" + b"b" * 16 + b"-01")

keys = st.one_of(st.none(), st.binary(min_size=1, max_size=20))
items = st.lists(st.tuples(st.sampled_from(["reqs", "execs"]), st.integers(0, 7),
                           st.integers(0, 2**40), keys, st.binary(max_size=3000)),
                 min_size=1, max_size=60)


def _framed(spec: list[tuple[str, int, int, bytes | None, bytes]]) -> list[dict[str, object]]:
    return [frames.framed(t, p, o, 1_700_000_000_000 + o, k, v, [TRACE])
            for t, p, o, k, v in spec]


@given(items)
def test_what_is_packed_unpacks_to_the_same_inputs_in_order(spec: list[tuple[str, int, int,
                                                                        bytes | None, bytes]]
                                                            ) -> None:
    got: list[Input] = []
    for n, value in enumerate(frames.pack(_framed(spec))):
        assert frames.is_frame(value)
        got += frames.unpack(Input("inputs", 3, 100 + n, None, value, [], 5))
    assert [(i.key, i.value) for i in got] == [(k, v) for _, _, _, k, v in spec]
    assert all(i.partition == 3 and TRACE in i.headers for i in got)
    sources = [i.source("execs") for i in got]
    assert [(s.topic, s.partition, s.offset, s.is_execution) for s in sources] == [
        (t, p, o, t == "execs") for t, p, o, _, _ in spec]
    assert [s.timestamp_ms for s in sources] == [1_700_000_000_000 + o for _, _, o, _, _ in spec]


def test_frames_stay_within_the_budget_and_a_large_input_goes_alone() -> None:
    small = [("reqs", 0, n, b"alice", b"x" * 40_000) for n in range(20)]
    big = [("reqs", 0, 20, b"alice", b"y" * (frames.BUDGET + 1))]
    packed = list(frames.pack(_framed(small + big + small[:2])))
    counts = [len(frames.unpack(Input("inputs", 0, 0, None, v, [], 0))) for v in packed]
    assert sum(counts) == 23 and len(packed) > 3
    assert all(len(v) < frames.BUDGET + 2_000 for v in packed[:-2])
    assert counts[-2:] == [1, 2]  # the large one alone, then what follows it


def test_an_unframed_message_is_one_input_as_it_is() -> None:
    value = avro.MAGIC + bytes(8) + b"body"  # single-object encoded, another schema's
    msg = Input("inputs", 1, 9, b"bob", value, [("src.topic", b"reqs")], 7)
    assert frames.unpack(msg) == [msg]
    assert frames.unpack(Input("inputs", 1, 9, b"bob", None, [], 7))[0].value is None


def test_a_broken_frame_passes_whole_for_the_rules_to_dead_letter() -> None:
    (good,) = frames.pack(_framed([("reqs", 0, 1, b"carol", b"v")]))
    broken = good[:-3]
    msg = Input("inputs", 2, 4, None, broken, [], 0)
    assert frames.is_frame(broken) and frames.unpack(msg) == [msg]


@given(st.binary(min_size=1, max_size=40), st.sampled_from([1, 4, 8, 32]))
def test_frames_go_where_kafkas_default_partitioner_puts_the_key(key: bytes, n: int) -> None:
    assert frames.partition_for(key, n) == DefaultPartitioner()(key, list(range(n)), [])
