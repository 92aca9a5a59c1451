"""`brokerage bench`: the full stack under load, beside two references measured in the same
command on the same machine: a raw confluent-kafka pass-through (the ceiling) and the
relational design (a validate-and-block transaction in PostgreSQL).

    mix       the request mix (the chaos workload) with request and trade ids
    stats     percentiles, rates, time series: pure
    load      the load generator process (open loop at a rate, closed loop with a window)
    collect   the answer collector process (responses, fills; or raw copies)
    pipeline  one generator and one collector driving phases against a pair of topics
    samplers  consumer lag and process CPU/RSS over time
    stackrun  the broker-side runs: our stack, and the raw pass-through ceiling
    pg*       the PostgreSQL baseline
    results / report / plot   the JSON, Markdown and PNG outputs
"""
