"""Budgets: nothing waits past the call's timeout, whatever the server asks or the network does."""
