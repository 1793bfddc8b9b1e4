"""Admin for InboundEmail: the raw message log, failures and re-processing."""
