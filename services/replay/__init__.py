"""Replay recorded conversations through the live decision code, and compare two policies."""
