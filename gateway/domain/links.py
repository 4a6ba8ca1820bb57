"""Links the gateway keeps and hands out: http(s) only, checked as they enter and as they leave.

A link is served to frontends that put it in an `href`; a `javascript:` or `data:` one there
runs in the frontend's origin. So every URL field of an event is refused unless it is http or
https, and a stored one that is not (kept by an older release, or answered by an upstream) is
served as null.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

__all__ = ["URL_NOT_HTTP", "HttpUrlText", "http_or_none", "is_http_url"]

# The error type pydantic reports for such a value, and so the refusal's code.
URL_NOT_HTTP = "url_not_http"


def is_http_url(value: str) -> bool:
    """An absolute http(s) URL with a host, with no space or control character anywhere (a
    browser drops some of those before reading the scheme, so they could hide another one)."""
    if not value[:8].lower().startswith(("http://", "https://")):
        return False
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in value):
        return False
    try:
        return bool(urlsplit(value).netloc)
    except ValueError:  # a malformed IPv6 host
        return False


def http_or_none(value: str | None) -> str | None:
    """The value when it is an http(s) URL; otherwise None, so it is never served as a link."""
    return value if value is not None and is_http_url(value) else None


def _checked(value: str) -> str:
    if not is_http_url(value):
        raise PydanticCustomError(
            URL_NOT_HTTP, "must be an http(s) URL with a host, got {start!r}", {"start": value[:40]}
        )
    return value


HttpUrlText = Annotated[str, Field(max_length=2000), AfterValidator(_checked)]
