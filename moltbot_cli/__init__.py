"""moltbot: talk to any OpenRouter model from the terminal."""

__version__ = "0.1.0"
