"""Seeing the system run: JSON logs with secrets redacted, W3C trace context carried in Kafka
headers and HTTP calls, optional OpenTelemetry export, shared metrics, and the small probe
server (/metrics, /healthz, /readyz) of the processes that have no web framework."""
