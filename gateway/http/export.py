"""GET /export/campaigns.csv: MessageSender's campaign export, streamed as CSV."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from gateway.domain.auth import REPORTS_READ, Principal
from gateway.domain.campaigns import SmsCampaignPerformance
from gateway.domain.sms import RangeRequest
from gateway.domain.timewindows import parse_range, parse_timezone
from gateway.errors import (
    BadUserInput,
    GatewayError,
)
from gateway.http.admission import keyed, take_rate
from gateway.http.appkeys import CLOCK, CONFIGURATION, SETTINGS
from gateway.http.compression import MIN_BYTES, StreamCompressor, negotiate
from gateway.http.refusals import refuse

__all__ = ["COLUMNS", "export_campaigns", "text_cell"]

COLUMNS = (
    "Campaign Name",
    "Status",
    "Total Recipients",
    "Sent",
    "Delivered",
    "Failed",
    "Created At",
    "Completed At",
)


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return "" if moment is None else moment.astimezone(zone).isoformat()


# A spreadsheet runs a cell that starts with one of these as a formula (=cmd|' /C calc'!A0);
# OWASP's advice is to prefix such a cell with a single quote, which shows it as text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value: str) -> str:
    """A text cell that a spreadsheet shows and never runs; NULs dropped."""
    value = value.replace("\x00", "")
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def csv_row(row: SmsCampaignPerformance, zone: ZoneInfo) -> list[object]:
    c, campaign = row.counts, row.campaign
    return [
        text_cell(campaign.name),
        campaign.status.value,
        c.total,
        c.sent,
        c.delivered,
        c.failed,
        _local(campaign.created_at, zone),
        _local(campaign.completed_at, zone),
    ]


async def _rows(
    request: web.Request, principal: Principal
) -> tuple[list[SmsCampaignPerformance], ZoneInfo]:
    principal.require_tenant_scope(REPORTS_READ)
    query = request.query
    if query.get("type", "campaigns") != "campaigns":
        raise BadUserInput("type must be campaigns, the only export there is", argument="type")
    zone = parse_timezone(query.get("timezone"), query.get("tz"))
    window = parse_range(query.get("startDate"), query.get("endDate"), zone, request.app[CLOCK]())
    registry = request.app[CONFIGURATION].in_use.registry
    export = RangeRequest(
        source=registry.source_for(principal.tenant_id, "sms"),
        tenant_id=principal.tenant_id,
        start=window.start,
        end=window.end,
        timezone=zone.key,
        start_defaulted=query.get("startDate") is None,
        end_defaulted=query.get("endDate") is None,
    )
    [answer] = await registry.get(export.source).load_campaign_exports([export])
    if isinstance(answer, GatewayError):
        raise answer
    return answer, zone


async def export_campaigns(request: web.Request) -> web.StreamResponse:
    principal = await keyed(request)
    if isinstance(principal, web.StreamResponse):
        return principal
    refusal = await take_rate(request.app, principal, 1)
    if refusal is not None:
        return refuse(refusal, request)
    try:
        rows, zone = await _rows(request, principal)
    except GatewayError as error:  # an outage says when to try again in Retry-After too
        return refuse(error, request)
    chunks = _csv_chunks(rows, zone)
    first = next(chunks)
    headers = {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": 'attachment; filename="campaigns.csv"',
    }
    encoder = None
    if request.app[SETTINGS].compression:
        headers["vary"] = "accept-encoding"
        # Worth it from MIN_BYTES on; the first chunk is all of a small export.
        encoding = negotiate(request.headers.get("accept-encoding"))
        if encoding is not None and (len(first) >= MIN_BYTES or len(rows) > _CHUNK_ROWS):
            encoder = StreamCompressor(encoding)
            headers["content-encoding"] = encoding
    response = web.StreamResponse(headers=headers)
    await response.prepare(request)
    for chunk in itertools.chain([first], chunks):
        await response.write(chunk if encoder is None else encoder.chunk(chunk))
    if encoder is not None:
        await response.write(encoder.finish())
    await response.write_eof()
    return response


_CHUNK_ROWS = 500


def _csv_chunks(rows: list[SmsCampaignPerformance], zone: ZoneInfo) -> Iterator[bytes]:
    """The CSV text in pieces of _CHUNK_ROWS rows, the header line in the first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for start in range(0, max(len(rows), 1), _CHUNK_ROWS):
        writer.writerows(csv_row(row, zone) for row in rows[start : start + _CHUNK_ROWS])
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
