"""Exchange simulator: a separate process that behaves like a venue (docs/exchange-protocol.md).

book (one symbol's order book) -> engine (all state, pure and deterministic; handlers,
matching, state) -> venue (journal first, then apply) -> server (routes, admin, faults,
`run_sim`).
"""
