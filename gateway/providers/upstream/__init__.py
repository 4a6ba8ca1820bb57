"""Upstream REST adapters, one module per platform."""
