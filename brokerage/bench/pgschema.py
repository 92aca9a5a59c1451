"""The relational design the seed would lead to: wallets, positions and trades in PostgreSQL,
and the validate-and-block transaction as one server-side function (one round trip), with
the wallet row locked by SELECT ... FOR UPDATE before the block and the trade insert."""

from __future__ import annotations

from brokerage.domain.refdata import RefData

TABLES = """
DROP TABLE IF EXISTS instruments, wallets, positions, trades, requests;
CREATE TABLE instruments (symbol text PRIMARY KEY, tick bigint NOT NULL, lot bigint NOT NULL);
CREATE TABLE wallets (trader text PRIMARY KEY, cash bigint NOT NULL DEFAULT 0,
  cash_blocked bigint NOT NULL DEFAULT 0, open_trades int NOT NULL DEFAULT 0);
CREATE TABLE positions (trader text NOT NULL, symbol text NOT NULL,
  shares bigint NOT NULL DEFAULT 0, shares_blocked bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (trader, symbol));
CREATE TABLE trades (trade_id text PRIMARY KEY, trader text NOT NULL, symbol text NOT NULL,
  side text NOT NULL, qty bigint NOT NULL, price bigint NOT NULL, blocked bigint NOT NULL,
  status text NOT NULL, request_id text NOT NULL);
CREATE TABLE requests (request_id text PRIMARY KEY, trader text NOT NULL, reason text);
"""

# {placeholders} are integers from the reference data, formatted in by `ddl`.
FUNCTION = """
CREATE OR REPLACE FUNCTION fee(n bigint) RETURNS bigint IMMUTABLE LANGUAGE sql AS
  $f$ SELECT least(n, greatest({min_fee}, (n * {bps} + 9999) / 10000)) $f$;

CREATE OR REPLACE FUNCTION place(k text, rid text, tr text, tid text, sd text, sym text,
                                 q bigint, px bigint, amt bigint) RETURNS text
LANGUAGE plpgsql AS $f$
DECLARE
  why text; ins instruments%ROWTYPE; t trades%ROWTYPE; have bigint; need bigint; n int;
BEGIN
  SELECT reason INTO why FROM requests WHERE request_id = rid;
  IF FOUND THEN RETURN coalesce(why, 'OK'); END IF;  -- a repeat gets the stored answer
  IF k = 'Deposit' AND sym IS NULL THEN
    INSERT INTO wallets AS w (trader, cash) VALUES (tr, amt)
      ON CONFLICT (trader) DO UPDATE SET cash = w.cash + EXCLUDED.cash;
  ELSIF k = 'Deposit' THEN
    INSERT INTO positions AS p (trader, symbol, shares) VALUES (tr, sym, amt)
      ON CONFLICT (trader, symbol) DO UPDATE SET shares = p.shares + EXCLUDED.shares;
  ELSIF k = 'NewTrade' THEN
    SELECT * INTO ins FROM instruments WHERE symbol = sym;
    IF NOT FOUND THEN why := 'UNKNOWN_SYMBOL';
    ELSIF q <= 0 OR q > {max_qty} OR q % ins.lot <> 0 THEN why := 'INVALID_QUANTITY';
    ELSIF px <= 0 OR px > {max_price} OR px % ins.tick <> 0 THEN why := 'INVALID_PRICE';
    ELSIF q * px > {max_notional} THEN why := 'NOTIONAL_LIMIT';
    ELSE
      -- The row lock: every change to this trader's money is serialised on it.
      SELECT cash, open_trades INTO have, n FROM wallets WHERE trader = tr FOR UPDATE;
      need := CASE WHEN sd = 'BUY' THEN q * px + fee(q * px) ELSE q END;
      IF NOT FOUND OR n >= {max_open} THEN why := 'TOO_MANY_OPEN_TRADES';
      ELSIF sd = 'BUY' AND have < need THEN why := 'INSUFFICIENT_FUNDS';
      ELSIF sd = 'BUY' THEN
        UPDATE wallets SET cash = cash - need, cash_blocked = cash_blocked + need,
          open_trades = open_trades + 1 WHERE trader = tr;
      ELSE
        SELECT shares INTO have FROM positions WHERE trader = tr AND symbol = sym FOR UPDATE;
        IF NOT FOUND OR have < need THEN why := 'INSUFFICIENT_SHARES';
        ELSE
          UPDATE positions SET shares = shares - need, shares_blocked = shares_blocked + need
            WHERE trader = tr AND symbol = sym;
          UPDATE wallets SET open_trades = open_trades + 1 WHERE trader = tr;
        END IF;
      END IF;
      IF why IS NULL THEN
        INSERT INTO trades VALUES (tid, tr, sym, sd, q, px, need, 'PENDING_NEW', rid);
      END IF;
    END IF;
  ELSIF k IN ('AmendTrade', 'CancelTrade') THEN
    SELECT * INTO t FROM trades WHERE trade_id = tid AND trader = tr FOR UPDATE;
    IF NOT FOUND THEN why := 'UNKNOWN_TRADE';
    ELSIF t.status <> 'PENDING_NEW' THEN why := 'CHANGE_PENDING';  -- no exchange answers here
    ELSIF k = 'CancelTrade' THEN
      UPDATE trades SET status = 'PENDING_CANCEL' WHERE trade_id = tid;
    ELSIF q = t.qty AND coalesce(px, t.price) = t.price THEN why := 'MALFORMED';
    ELSE
      -- More blocked needs available funds now; less is released when the exchange confirms.
      px := coalesce(px, t.price);
      need := CASE WHEN t.side = 'BUY' THEN q * px + fee(q * px) ELSE q END;
      IF need > t.blocked AND t.side = 'BUY' THEN
        SELECT cash INTO have FROM wallets WHERE trader = tr FOR UPDATE;
        IF have < need - t.blocked THEN why := 'INSUFFICIENT_FUNDS';
        ELSE UPDATE wallets SET cash = cash - (need - t.blocked),
               cash_blocked = cash_blocked + (need - t.blocked) WHERE trader = tr;
        END IF;
      ELSIF need > t.blocked THEN
        SELECT shares INTO have FROM positions WHERE trader = tr AND symbol = t.symbol
          FOR UPDATE;
        IF have < need - t.blocked THEN why := 'INSUFFICIENT_SHARES';
        ELSE UPDATE positions SET shares = shares - (need - t.blocked),
               shares_blocked = shares_blocked + (need - t.blocked)
               WHERE trader = tr AND symbol = t.symbol;
        END IF;
      END IF;
      IF why IS NULL THEN
        UPDATE trades SET qty = q, price = px, blocked = greatest(blocked, need),
          status = 'PENDING_REPLACE' WHERE trade_id = tid;
      END IF;
    END IF;
  ELSE
    why := 'MALFORMED';
  END IF;
  INSERT INTO requests VALUES (rid, tr, why);
  RETURN coalesce(why, 'OK');
END $f$;
"""

CALL = "SELECT place(%s, %s, %s, %s, %s, %s, %s, %s, %s)"
RESET = "TRUNCATE wallets, positions, trades, requests"


def ddl(rd: RefData) -> str:
    return TABLES + FUNCTION.format(
        min_fee=int(rd.fee_min_minor), bps=int(rd.fee_bps), max_qty=int(rd.max_quantity),
        max_price=int(rd.max_price_minor), max_notional=int(rd.max_order_notional_minor),
        max_open=int(rd.max_open_trades))


def instruments(rd: RefData) -> list[tuple[str, int, int]]:
    return [(i.symbol, i.tick_minor, i.lot) for i in rd.instruments.values()]
