"""`brokerage bench`: the full stack under load, beside three references measured in the same
command on the same machine: a raw confluent-kafka pass-through (the ceiling), our topics'
traffic without our logic (the topology floor) and the relational design (a
validate-and-block transaction in PostgreSQL).

    config     what one run does
    mix        the request mix (the chaos workload) with request and trade ids: pure
    stats      percentiles, matching, rates, series: pure
    load       the load generator process (open loop at a rate, closed loop with a window)
    collect    the answer collector process (responses and fills, or raw copies)
    pipeline   one generator and one collector driving phases over a pair of topics
    samplers   consumer lag and process CPU/RSS every half second
    stackrun   our stack or the pass-through on fresh topics; passthrough is that process
    runs       our phases and the ceiling's; scaling: workers, partitions, state per trader
    floor / floor_parts / floor_run   the topology floor: stand-in processes, their run
    watermarks what a run's topics hold at the end: message counts, last write time
    pgschema / pgclient / pgrun   the PostgreSQL baseline
    analyse / results / report / plot   figures, the JSON document, Markdown, the PNG
    run        the whole command: broker, the runs, PostgreSQL
    output     the files of a run
"""
