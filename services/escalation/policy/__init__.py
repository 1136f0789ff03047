"""Escalation policy as code: a validated, versioned YAML file per tenant, and its evaluation."""
