"""Message bus: one interface, a Kafka adapter and an in-memory double."""
