"""Value objects that describe what was redacted, without re-exposing it in logs."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Finding:
    """Record one redacted span of the original text and what replaced it."""

    kind: str
    start: int
    end: int
    # Kept out of repr so that logging a Finding never leaks the secret it describes.
    text: str = field(repr=False)
    replacement: str

    def overlaps(self, other: Finding) -> bool:
        """Tell whether two findings claim any common character."""
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Redacted:
    """Carry redacted text together with the findings that produced it."""

    text: str
    findings: tuple[Finding, ...]
