"""Escalation decision: joins turns, intents and sentiment per session and decides, with reasons."""
