"""Versioned event schemas and the topic map; import from the submodules."""
