"""The HTTP layer: the only code that imports aiohttp.web or Strawberry's aiohttp integration.
The app factory, the /graphql view and its admission steps, the routes (webhooks, export,
health, metrics, GraphiQL), subscription streams and sockets, compression, negotiation and
serving."""

from gateway.http.app import create_app, metrics_app
from gateway.http.serving import ServeError, serve_once, supervise

__all__ = ["ServeError", "create_app", "metrics_app", "serve_once", "supervise"]
