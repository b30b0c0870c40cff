"""The LiveKit suite runs only where livekit-agents is installed (see ``_require``)."""

from .._require import framework

framework("livekit.agents", "livekit", "livekit")
