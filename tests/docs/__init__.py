"""The documentation: README snippets and examples run as a reader would run them."""
