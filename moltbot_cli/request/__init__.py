"""The request layer: settings + flags → the body; the walk down the fallbacks.

It sits above the config and the wire client (`openrouter/`), and every command that
sends a chat goes through it.
"""
