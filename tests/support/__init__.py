"""Helpers the tests share that the gateway itself has no use for."""
