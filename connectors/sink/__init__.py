"""`brokerage sink postgres`: the reporting store's writer, fed from the trader-inputs log."""
