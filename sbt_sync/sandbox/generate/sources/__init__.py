"""One module per agency source: each turns the true cases into that agency's records, with noise."""
