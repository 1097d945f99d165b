"""The steward service layer: what the CLI and the web console both call."""
