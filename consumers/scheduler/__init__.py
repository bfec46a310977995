"""The scheduler: turns the passage of time into tick events, from the PostgreSQL store."""
