"""Scenario: Schemathesis reads the live API's /openapi.json and sends generated requests to
every operation of a running stack (real broker, worker, exchange), with an admin token and
rate limits too large to matter: valid bodies, ids and queries, and invalid ones. We expect
no 5xx, only documented status codes and content types, and every response body to match
its documented schema. The budget is bounded: a few dozen examples per operation."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, Case
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode

from brokerage.entrypoints.stack import stack
from brokerage.entrypoints.tokens import bearer
from tests.integration.conftest import Stack, stack_settings

pytestmark = pytest.mark.integration

EXAMPLES = 30  # per operation and mode: 12 operations x 2 x 30 at most, about 15 s
SEEN: Counter[tuple[str, int]] = Counter()  # (operation, status) -> responses
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture(scope="module")
def fuzzed(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root: Path = tmp_path_factory.mktemp("fuzz")
    logs = root / "logs"
    logs.mkdir()
    settings = stack_settings(
        kafka_bootstrap, root / "state", lambda p: f"{p}-{uuid.uuid4().hex[:8]}"
    ).model_copy(update={"rate_trader_per_second": 1e6, "rate_trader_burst": 10**6,
                         "rate_ip_per_second": 1e6, "rate_ip_burst": 10**6,
                         "api_response_timeout_seconds": 10})
    admin = bearer(settings, "fuzz-admin", admin=True)
    try:
        with stack(settings, log_dir=str(logs)) as running, httpx.Client(
            base_url=running.url, timeout=30, headers=admin
        ) as http:
            # Some state for the generated ids to find now and then.
            for t in ("alice", "bob"):
                http.post(f"/v1/traders/{t}/deposits", json={"amount": "1000.00"})
            yield Stack(settings, running.url, http, admin, running)
    except BaseException:
        for log in sorted(logs.glob("*.log")):
            print(f"==== {log.name}\n{log.read_text()[-4000:]}")
        raise


def fuzz(operation: APIOperation, base_url: str, headers: dict[str, str],
         mode: GenerationMode) -> None:
    """Hypothesis over one operation's generated cases, each sent and checked."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])
    def run(case: Case) -> None:
        if mode is GenerationMode.POSITIVE and case.headers:
            case.headers.pop("Authorization", None)  # valid requests carry our admin token
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        SEEN[(operation.label, response.status_code)] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()


def test_every_operation_matches_its_documentation(fuzzed: Stack) -> None:
    spec = fuzzed.http.get("/openapi.json").raise_for_status().json()
    schema = schemathesis.openapi.from_dict(spec)
    failures: dict[str, str] = {}
    labels = []
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):  # an operation schemathesis cannot read
            failures[f"schema {len(failures)}"] = str(result.err())
            continue
        operation = result.ok()
        labels.append(operation.label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(operation, fuzzed.url, fuzzed.admin, mode)
            except Unsatisfiable:  # nothing to make invalid: no parameters and no body
                assert mode is GenerationMode.NEGATIVE, operation.label
            except (Exception, BaseExceptionGroup) as exc:  # collect all, then report them
                failures[f"{operation.label} ({mode})"] = str(exc)[:3000]
    assert len(labels) == len(
        [m for ops in spec["paths"].values() for m in ops]), labels  # nothing skipped
    assert {label for label, _ in SEEN} == set(labels), SEEN  # every operation was called
    assert not failures, "\n\n".join(f"== {k}\n{v}" for k, v in failures.items())
