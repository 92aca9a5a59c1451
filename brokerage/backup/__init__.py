"""Backups of the trader tables (RocksDB per partition with changelog offsets, a ledger
export, a checksummed and signed manifest) and restore into a worker."""
