"""What the connector reports; the event models and topic live with every other schema."""

from __future__ import annotations

from shared.schemas.events import ConnectorDelivered, ConnectorFailed
from shared.schemas.events import ConnectorStep as Step
from shared.schemas.topics import CONNECTOR_EVENTS

__all__ = ["CONNECTOR_EVENTS", "ConnectorDelivered", "ConnectorFailed", "Step"]
