"""The platforms the gateway ships with, each a plugin like any other: registered through the
project's own entry points (pyproject.toml) and never imported by the core."""
