# One image for every role; the command picks it: worker, sequencer, connector, api,
# exchange-sim, topics (docker-compose.yml, deploy/k8s). Multi-stage: the build stage makes a
# virtualenv from the locked dependencies, the runtime stage copies only that venv and runs as
# an unprivileged user. Build: docker build -t brokerage:0.1.0 .
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# The native Avro writers (native/, Rust through PyO3): a wheel for CPython >= 3.11 (abi3).
FROM rust:1.95-slim-bookworm AS native
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -m venv /opt/maturin && /opt/maturin/bin/pip install --no-cache-dir maturin==1.16.0
WORKDIR /native
COPY native/ ./
RUN /opt/maturin/bin/maturin build --release --locked --out /wheels

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
# Dependencies first, in their own layer: a code change does not reinstall them.
COPY deploy/requirements.lock ./
RUN /opt/venv/bin/pip install --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY brokerage ./brokerage
COPY streams ./streams
COPY connectors ./connectors
COPY api ./api
COPY schemas ./schemas
COPY --from=native /wheels /wheels
RUN /opt/venv/bin/pip install --no-deps . /wheels/*.whl \
    && /opt/venv/bin/pip check \
    && find /opt/venv -name __pycache__ -prune -exec rm -rf {} +

FROM ${PYTHON_IMAGE}
RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home brokerage \
    && mkdir -p /data && chown 10001:10001 /data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    BROKERAGE_STATE_DIR=/data \
    BROKERAGE_LOG_FORMAT=json
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
# API, worker web port, exchange simulator, connector and sequencer probes/metrics.
EXPOSE 8080 6066 7070 7071 7072
ENTRYPOINT ["brokerage"]
CMD ["--help"]
