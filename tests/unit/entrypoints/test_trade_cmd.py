"""`brokerage trade amend` builds the same PATCH /v1/trades/{id} body the API takes: only the
options given, a time in force in any case passed through for the rules to judge."""

from __future__ import annotations

import argparse

import pytest

from api.models import AmendIn
from brokerage.cli import build_parser
from brokerage.entrypoints.trade_cmd import amend_body

TID = "alice.0123456789abcdef"


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["trade", *argv])


@pytest.mark.parametrize(("given", "tif"), [("gtc", "GTC"), ("Day", "DAY"), ("IOC", "IOC"),
                                            ("fok", "FOK")])
def test_amend_passes_any_time_in_force_upper_cased(given: str, tif: str) -> None:
    body = amend_body(parse("amend", TID, "--tif", given))
    assert body == {"time_in_force": tif}
    # IOC/FOK are not refused here: the rules answer INVALID_TIME_IN_FORCE, as for the API.
    assert AmendIn.model_validate(body).time_in_force == tif


def test_amend_sends_only_what_was_given() -> None:
    body = amend_body(parse("amend", TID, "--qty", "20", "--limit", "99.00", "--tif", "gtc"))
    assert body == {"quantity": 20, "limit_price": "99.00", "time_in_force": "GTC"}
    assert AmendIn.model_validate(body).model_dump(exclude_unset=True).keys() == body.keys()
    assert amend_body(parse("amend", TID, "--qty", "5")) == {"quantity": 5}


def test_amend_needs_something_to_change() -> None:
    with pytest.raises(RuntimeError, match="give --qty, --limit and/or --tif"):
        amend_body(parse("amend", TID))


def test_unknown_time_in_force_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as usage:
        parse("amend", TID, "--tif", "gtd")
    assert usage.value.code == 2


def test_buy_time_in_force_in_any_case() -> None:
    assert parse("buy", "--trader", "alice", "AAPL", "1", "--limit", "1.00",
                 "--tif", "gtc").tif == "GTC"
    assert parse("buy", "--trader", "alice", "AAPL", "1", "--market").tif == "DAY"
