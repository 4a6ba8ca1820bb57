"""MessageSender's campaign export (CSV, with the columns its document lists) as campaigns."""

from __future__ import annotations

import csv
import hashlib
import io

from pydantic import Field, TypeAdapter, field_validator, model_validator

from gateway.domain.campaigns import (
    Campaign,
    CampaignRef,
    CampaignStatus,
    Channel,
    SmsCampaignPerformance,
)
from gateway.errors import UpstreamError
from gateway.platforms.builtin.messagesender.shapes import delivery
from gateway.providers.upstream.shapes import Count, Moment, Shape, fit_int, validated

__all__ = ["COLUMNS", "export_rows"]

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


class _Row(Shape):
    name: str = Field(alias="Campaign Name")
    status: CampaignStatus = Field(alias="Status")
    total: Count = Field(alias="Total Recipients")
    sent: Count = Field(alias="Sent")
    delivered: Count = Field(alias="Delivered")
    failed: Count = Field(alias="Failed")
    created_at: Moment = Field(alias="Created At")
    completed_at: Moment | None = Field(alias="Completed At")

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("completed_at", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _total_fits(self) -> _Row:
        fit_int(max(self.sent, self.delivered), self.failed)
        return self


_ROWS = TypeAdapter(list[_Row])


def export_rows(
    source: str, tenant_id: str, body: bytes, status: int
) -> list[SmsCampaignPerformance]:
    """The export's rows; one that is not the documented CSV is the upstream's error."""
    if not body.strip():
        return []
    try:
        reader = csv.DictReader(io.StringIO(body.decode("utf-8-sig")))
        header = reader.fieldnames or []
        # Only the documented columns: a column added upstream changes nothing here.
        raw = [{c: row.get(c) for c in COLUMNS} for row in reader]
    except (ValueError, csv.Error):
        raise _shape_error(source, status, "unreadable CSV") from None
    if missing := [c for c in COLUMNS if c not in header]:
        raise _shape_error(source, status, f"no {', '.join(missing)} column")
    rows = validated(_ROWS, raw, source, "the campaign export", status)
    return [_campaign(source, tenant_id, row, cells) for row, cells in zip(rows, raw, strict=True)]


def _campaign(
    source: str, tenant_id: str, row: _Row, cells: dict[str, str | None]
) -> SmsCampaignPerformance:
    # The export has no campaign ids: rows are named by their content.
    digest = hashlib.sha256(repr(list(cells.values())).encode()).hexdigest()[:16]
    return SmsCampaignPerformance(
        campaign=Campaign(
            ref=CampaignRef(
                source=source,
                tenant_id=tenant_id,
                channel=Channel.SMS,
                campaign_id=f"export-{digest}",
            ),
            external_id=digest,
            name=row.name,
            status=row.status,
            created_at=row.created_at,
            completed_at=row.completed_at,
        ),
        counts=delivery(row.total, row.sent, row.delivered, row.failed),
    )


def _shape_error(source: str, status: int, why: str) -> UpstreamError:
    return UpstreamError(
        f"{source} answered the campaign export in an unexpected shape: {why}",
        source=source,
        upstreamStatus=status,
    )
