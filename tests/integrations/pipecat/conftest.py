"""The pipecat suite runs only where pipecat-ai is installed (see ``_require``)."""

from .._require import framework

framework("pipecat", "pipecat", "pipecat")
