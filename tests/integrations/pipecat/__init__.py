"""register_booking_tools() inside a real pipecat pipeline (its own venv: pipecat-ai)."""
