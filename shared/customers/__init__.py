"""Customer profiles (CRM adapters) and each customer's previous sessions."""
