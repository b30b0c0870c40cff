"""Typed errors: what every status, unreadable body and hostile answer becomes."""
