"""Exchange simulator: a separate process that behaves like a venue (docs/exchange-protocol.md).

book (one symbol's order book) -> engine (all state, pure and deterministic) -> venue
(journal first, then apply) -> server (HTTP, faults, `run_sim`).
"""
