"""analytics-gateway: one typed GraphQL graph over WhatsApp, SMS and email messaging analytics."""

__version__ = "0.1.0"
