"""Baton's common library: schemas, configuration, bus and state adapters."""
