"""One module per command group. Each parses flags and hands them to a function that works."""
