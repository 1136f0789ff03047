"""Redact PII (cards, SSNs, emails, phones, IBANs, IPs) before text fans out to packets or logs."""

from shared.redaction._logging import structlog_processor
from shared.redaction._model import Finding, Redacted
from shared.redaction._redactor import ALL_KINDS, Redactor

__all__ = ["ALL_KINDS", "Finding", "Redacted", "Redactor", "structlog_processor"]
