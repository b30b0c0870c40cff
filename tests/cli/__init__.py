"""The ``rocketlead`` command line: commands, errors and exit codes, the fake server, the demo."""
