"""The words every layer shares: model refs, routing fields, request parameter names.

The bottom layer: it imports nothing of moltbot but `errors`, so the config, the wire
client and the request layer can all build on it without pointing at each other.
"""
