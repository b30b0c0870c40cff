"""The fake server: FakeRocketLead's API, faults, clock and the shipped pytest plugin."""
