# The two commands README promises: `make demo` and `make test`. Both set up what they need.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: setup demo test lint bench bench-core clean

$(BIN)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

# The native extension (native/, Rust through PyO3 and maturin: the Avro codec and the rules'
# record copies), wherever a Rust toolchain is; without one the Python code serves, with the
# same results (brokerage/native.py).
CARGO ?= $(shell command -v cargo 2>/dev/null || ls $(HOME)/.cargo/bin/cargo 2>/dev/null)
$(BIN)/.native: $(BIN)/.installed native/Cargo.toml native/Cargo.lock native/pyproject.toml $(wildcard native/src/*.rs)
	@if [ -n "$(CARGO)" ]; then \
	  PATH="$$(dirname $(CARGO)):$$PATH" $(BIN)/pip install -q ./native && touch $@; \
	else echo "no Rust toolchain (cargo): the Python codec and copies serve"; fi

setup: $(BIN)/.installed $(BIN)/.native

# Starts Kafka (fetched with Maven on first use), a worker, the exchange and the API,
# runs the demo against them, and stops everything again.
demo: setup
	$(BIN)/brokerage demo --standalone

# Unit tests need nothing else; integration tests start a real broker once per session
# (or use KAFKA_BOOTSTRAP_SERVERS). pytest's exit code 5 means no test ran: not a failure.
test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests ran"; exit 0; fi; exit $$rc

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy brokerage streams connectors api schemas scripts

# The full-stack bench beside the raw Kafka ceiling and PostgreSQL (minutes; BENCH_ARGS for
# its flags, e.g. BENCH_ARGS=--smoke), and the pure rules alone.
BENCH_ARGS ?=
bench: setup
	$(BIN)/brokerage bench $(BENCH_ARGS)

bench-core: setup
	$(BIN)/python scripts/bench_apply.py

clean:
	rm -rf $(VENV) .brokerage native/target
