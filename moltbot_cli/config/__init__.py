"""The config file: where it lives, how it is parsed, checked, and edited in place."""
