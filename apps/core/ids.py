"""Row ids. Every primary key is a BigAutoField, so an id is 1 … MAX_DB_ID (a signed 64-bit
integer): a larger number from a URL, a filter or a body is refused before any query, where
SQLite would overflow and PostgreSQL would fail with an error instead of "not found"."""

MAX_DB_ID = 2**63 - 1
