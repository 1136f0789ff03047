"""Intent service: customer turns in, intent with confidence and in-scope flag out."""
