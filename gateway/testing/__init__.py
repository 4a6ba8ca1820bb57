"""Fakes of the upstream platforms, for tests and for trying the gateway without them."""
