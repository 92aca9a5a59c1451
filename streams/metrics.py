"""Worker metrics. Names carry their unit."""

from prometheus_client import Counter, Gauge, Histogram

EVENTS = Counter("brokerage_worker_events_total", "Events applied, by input kind", ["kind"])
RESPONSES = Counter(
    "brokerage_responses_total", "Request outcomes", ["outcome", "reason"]
)
DEAD_LETTERS = Counter("brokerage_dead_letters_total", "Messages sent to the DLQ, by code",
                       ["reason"])
RECOVERING = Gauge("brokerage_worker_recovering", "1 while tables recover from changelogs")
ASSIGNED = Gauge("brokerage_worker_assigned_partitions", "Input partitions this worker owns")
RECOVERY_SECONDS = Histogram(
    "brokerage_worker_recovery_seconds", "Time from rebalance start to tables recovered",
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300),
)
APPLY_SECONDS = Histogram(
    "brokerage_apply_seconds", "Time to decode, apply and store one event",
    buckets=(0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5),
)
INPUT_GAPS = Counter("brokerage_worker_input_gaps_total",
                     "Holes in the input offsets that faust handed over (then the worker restarts)")
