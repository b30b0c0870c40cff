"""Secrets and bad input: the token shows nowhere; bad input is refused before any I/O."""
