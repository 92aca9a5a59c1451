-- The reporting store: a read model of the trader-inputs log, written only by
-- `brokerage sink postgres`. Money is bigint minor units (cents), quantities are shares.
-- Every table with trader data is hash-partitioned by trader_id (the sharding key: it is the
-- Kafka key too), so a trader's rows live in one partition and every primary key includes it.

-- Where the sink is in each input partition: written in the same transaction as the rows.
CREATE TABLE sink_offsets (
    topic        text    NOT NULL,
    partition    integer NOT NULL,
    next_offset  bigint  NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, partition)
);

-- The sink's own copy of each trader's state (Avro, as in the worker's table): the rules are
-- applied to it to derive exact ledger movements. Internal to the sink.
CREATE TABLE sink_trader_state (
    trader_id    text   NOT NULL,
    state        bytea  NOT NULL,
    input_offset bigint NOT NULL,
    PRIMARY KEY (trader_id)
) PARTITION BY HASH (trader_id);

-- Current state of every trade ever booked, by trade id (kept after the tables evict it).
CREATE TABLE trades (
    trader_id      text    NOT NULL,
    trade_id       text    NOT NULL,
    request_id     text    NOT NULL,
    side           text    NOT NULL,
    symbol         text    NOT NULL,
    order_type     text    NOT NULL,
    time_in_force  text    NOT NULL,
    quantity       bigint  NOT NULL,
    limit_price    bigint,
    status         text    NOT NULL,
    cum_qty        bigint  NOT NULL,
    cum_notional   bigint  NOT NULL,
    fees           bigint  NOT NULL,
    blocked_cash   bigint  NOT NULL,
    blocked_shares bigint  NOT NULL,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    created_ms     bigint  NOT NULL,
    updated_ms     bigint  NOT NULL,
    input_offset   bigint  NOT NULL,  -- the trader-inputs offset of the last change: replays
                                      -- never move a row backwards
    PRIMARY KEY (trader_id, trade_id)
) PARTITION BY HASH (trader_id);
CREATE INDEX trades_trade_id ON trades (trade_id);
CREATE INDEX trades_trader_time ON trades (trader_id, created_at);
CREATE INDEX trades_symbol_time ON trades (symbol, created_at);

-- Append-only: every response and trade update, as published on trade-responses.
-- event_key names the input that caused it (source topic:partition:offset) and its place
-- among that input's outputs; event_id is the published id ('resp:<request>', 'exec:<id>').
CREATE TABLE trade_events (
    trader_id   text    NOT NULL,
    event_key   text    NOT NULL,
    event_id    text    NOT NULL,
    kind        text    NOT NULL,  -- RESPONSE | UPDATE
    request     text,              -- for RESPONSE: NewTrade, AmendTrade, CancelTrade, ...
    request_id  text,
    trade_id    text,
    symbol      text,
    accepted    boolean NOT NULL,
    status      text,
    reason      text,
    message     text    NOT NULL,
    cum_qty     bigint  NOT NULL,
    last_qty    bigint  NOT NULL,
    last_price  bigint  NOT NULL,
    fee         bigint  NOT NULL,
    at          timestamptz NOT NULL,
    at_ms       bigint  NOT NULL,
    input_partition integer NOT NULL,
    input_offset    bigint  NOT NULL,
    PRIMARY KEY (trader_id, event_key)
) PARTITION BY HASH (trader_id);
CREATE INDEX trade_events_trade_id ON trade_events (trade_id);
CREATE INDEX trade_events_trader_time ON trade_events (trader_id, at);
CREATE INDEX trade_events_symbol_time ON trade_events (symbol, at);

-- One row per execution that filled shares.
CREATE TABLE fills (
    trader_id  text   NOT NULL,
    exec_id    text   NOT NULL,
    trade_id   text   NOT NULL,
    side       text   NOT NULL,
    symbol     text   NOT NULL,
    quantity   bigint NOT NULL,
    price      bigint NOT NULL,
    fee        bigint NOT NULL,
    at         timestamptz NOT NULL,
    at_ms      bigint NOT NULL,
    PRIMARY KEY (trader_id, exec_id)
) PARTITION BY HASH (trader_id);
CREATE INDEX fills_trade_id ON fills (trade_id);
CREATE INDEX fills_trader_time ON fills (trader_id, at);
CREATE INDEX fills_symbol_time ON fills (symbol, at);

-- Every movement of cash or shares between the outside world and a trader's available and
-- blocked balances: the sum of amounts per (trader, account, symbol, bucket) up to a moment
-- is the balance at that moment.
CREATE TABLE ledger_entries (
    trader_id  text   NOT NULL,
    entry_id   text   NOT NULL,   -- <event_key>:<account>:<symbol>:<bucket>:<kind>
    account    text   NOT NULL CHECK (account IN ('cash', 'shares')),
    symbol     text   NOT NULL,   -- '' for cash
    bucket     text   NOT NULL CHECK (bucket IN ('available', 'blocked')),
    kind       text   NOT NULL,   -- DEPOSIT WITHDRAWAL BLOCK RELEASE FILL FEE ADJUSTMENT
    amount     bigint NOT NULL,   -- signed: cents for cash, shares for shares
    cause      text   NOT NULL,   -- the request id, 'exec:<exec_id>' or 'eod:<day>'
    trade_id   text,
    at         timestamptz NOT NULL,
    at_ms      bigint NOT NULL,
    PRIMARY KEY (trader_id, entry_id)
) PARTITION BY HASH (trader_id);
CREATE INDEX ledger_trader_time ON ledger_entries (trader_id, at);
CREATE INDEX ledger_symbol_time ON ledger_entries (symbol, at);
CREATE INDEX ledger_trade_id ON ledger_entries (trade_id);

-- Eight hash partitions per table. Going to more nodes: see README, "Reporting store".
DO $$
DECLARE
    t text;
    i integer;
BEGIN
    FOREACH t IN ARRAY ARRAY['sink_trader_state', 'trades', 'trade_events', 'fills',
                             'ledger_entries'] LOOP
        FOR i IN 0..7 LOOP
            EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES WITH (MODULUS 8, '
                           'REMAINDER %s)', t || '_p' || i, t, i);
        END LOOP;
    END LOOP;
END $$;
