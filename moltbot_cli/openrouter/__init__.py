"""The wire client: HTTP, streaming, errors, the model catalogue.

It knows nothing of the config, the commands or the request layer above it.
"""
