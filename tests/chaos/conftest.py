"""Chaos tests run the same per-test stack as the integration tests, and then break it."""

from tests.integration.conftest import running_stack  # noqa: F401  (a fixture, used by name)
