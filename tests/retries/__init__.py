"""Retries and outcomes: what the SDK repeats, what it never sends twice, what it reports."""
