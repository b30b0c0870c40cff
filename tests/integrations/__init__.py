"""The voice adapters (LiveKit, pipecat): what they share, and each through its framework."""
