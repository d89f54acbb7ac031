"""The call log: one SQLite row per chat call, and the conversations they make up.

`store` owns the database (schema, migrations, queries); `record` the shape of a row;
`recorder` what a chat uses to write one without ever failing the chat; `when`
the `30d` / `2026-11-01` parsers. sqlite3 is imported only where a database is opened.
"""
