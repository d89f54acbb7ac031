"""Everything that talks to OpenRouter: refs, routing, the HTTP client, streaming, errors."""
