"""Escalation policy files: schema, loading with line-numbered errors, per-tenant store."""
