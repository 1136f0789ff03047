"""Agent-desktop gateway: handoffs to agents over WebSocket and SSE, actions, SLA."""
