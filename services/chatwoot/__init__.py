"""Outbound connector: write each handoff into Chatwoot as a private note, team and open status."""
