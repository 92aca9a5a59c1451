"""Reads of the reporting store: daily statements and reconciliation with the live tables.

statement.py and reconcile.py compute (pure); queries.py is the SQL; render.py the output."""
