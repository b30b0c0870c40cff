"""Requests and models, and the client's configuration."""
