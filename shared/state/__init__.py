"""Per-session state: one interface, a Redis adapter and an in-memory double."""
