"""Baton stream services, one package each."""
