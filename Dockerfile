# One image for every role; the command picks it (brokerage worker | exchange | api | topics).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY brokerage ./brokerage
COPY streams ./streams
COPY connectors ./connectors
COPY api ./api
COPY schemas ./schemas
RUN pip install --no-cache-dir . && useradd -r -u 10001 brokerage && mkdir -p /data \
    && chown brokerage /data
USER brokerage
ENV BROKERAGE_STATE_DIR=/data
ENTRYPOINT ["brokerage"]
