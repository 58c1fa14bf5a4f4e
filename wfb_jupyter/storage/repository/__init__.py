"""Repository functions, one module per entity. Each takes a session; the caller owns the transaction."""
