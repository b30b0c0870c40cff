"""The package itself: its import graph and its optional dependencies."""
