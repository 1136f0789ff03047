"""HTTP ingest gateway: platforms that speak HTTP, not Kafka, post conversation events here."""
