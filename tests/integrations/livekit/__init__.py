"""booking_tools() inside a real LiveKit AgentSession (its own venv: livekit-agents)."""
