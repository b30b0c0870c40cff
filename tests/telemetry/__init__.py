"""OpenTelemetry spans and metrics: what they record, and that they hold no secrets."""
