"""Recorded conversations: the JSONL format, turning them into events, and sample traffic."""
