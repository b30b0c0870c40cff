"""Requests and models: what the SDK sends for each call and the typed models it returns."""
