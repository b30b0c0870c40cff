"""The distribution: the built wheel as a user installs it."""
