"""Secrets and bad input: the token appears nowhere, and odd input is refused before any I/O."""
