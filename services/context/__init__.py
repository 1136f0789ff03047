"""Context assembly: accumulates each session and builds exactly one handoff packet per episode."""
