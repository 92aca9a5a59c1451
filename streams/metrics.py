"""Worker metrics. Names carry their unit."""

from prometheus_client import Counter, Gauge, Histogram

from brokerage.observability.metrics import DEAD_LETTERS, Children

EVENTS = Counter("brokerage_worker_events_total", "Events applied, by input kind", ["kind"])
REQUESTS = Counter(
    "brokerage_requests_total", "Requests answered, by type and outcome; reason if rejected",
    ["type", "outcome", "reason"],
)
FILLS = Counter("brokerage_fills_total", "Fills settled into trader states")
FILLED_SHARES = Counter("brokerage_filled_shares_total", "Shares bought or sold in fills")
SETTLED = Counter("brokerage_trades_settled_total",
                  "Trades that reached a final status (their blocks released), by status",
                  ["status"])
BLOCKED_CASH = Gauge("brokerage_blocked_cash_cents",
                     "Cash blocked by open trades in this worker's partitions (sum for the total)")
BLOCKED_SHARES = Gauge("brokerage_blocked_shares",
                       "Shares blocked by open sells in this worker's partitions")
RECOVERING = Gauge("brokerage_worker_recovering", "1 while tables recover from changelogs")
RECOVERY_REMAINING = Gauge("brokerage_worker_recovery_remaining_messages",
                           "Changelog messages left to read before tables are recovered",
                           ["kind"])
ASSIGNED = Gauge("brokerage_worker_assigned_partitions", "Input partitions this worker owns")
NATIVE = Gauge("brokerage_worker_native",
               "1: the native (Rust) extension in use (Avro codec, record copies); 0: Python")
RECOVERY_SECONDS = Histogram(
    "brokerage_worker_recovery_seconds", "Time from rebalance start to tables recovered",
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300),
)
APPLY_SECONDS = Histogram(
    "brokerage_apply_seconds",
    "Time to decode and apply one event (its state is stored with its batch)",
    buckets=(0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5),
)
INPUT_GAPS = Counter("brokerage_worker_input_gaps_total",
                     "Holes in the input offsets that faust handed over (then the worker restarts)")
STALE_INPUTS = Counter("brokerage_worker_stale_inputs_total",
                       "Inputs fetched before a rebalance and dropped after it (they come again)")
WRITE_SECONDS = Histogram(
    "brokerage_batch_write_seconds",
    "Time to encode and store the trader states changed since the last write (a flush)",
    buckets=(0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
HELD_INPUTS = Gauge("brokerage_worker_held_inputs",
                    "Input messages applied, acknowledged once the states they changed are written")
# Inputs per batch: sum(brokerage_worker_events_total) / brokerage_worker_batches_total.
BATCHES = Counter("brokerage_worker_batches", "Batches of inputs the rules agent took")

# The per-input path's children, looked up once each.
events_of = Children(EVENTS)
requests_of = Children(REQUESTS)
settled_of = Children(SETTLED)
dead_letters_of = Children(DEAD_LETTERS)
