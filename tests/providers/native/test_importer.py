"""`gateway import`: good lines land, bad ones are set aside with reasons, replays count once."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from gateway.__main__ import main
from gateway.providers.native import SqliteStore
from gateway.providers.native.tenancy import Tenancy

LINES = [
    {
        "type": "campaign",
        "tenant": "acme",
        "channel": "sms",
        "campaignId": "x",
        "name": "Imported",
        "status": "completed",
        "createdAt": "2026-11-20T10:00:00Z",
    },
    {
        "type": "sms.message",
        "tenant": "acme",
        "messageId": "i1",
        "campaignId": "x",
        "sentAt": "2026-11-20T10:05:00Z",
        "status": "delivered",
    },
    "this is not json",
    {"type": "sms.message", "tenant": "acme", "messageId": "i2", "sentAt": "yesterday"},
    {
        "type": "sms.message",
        "tenant": "nobody",
        "messageId": "i3",
        "sentAt": "2026-11-20T10:05:00Z",
    },
    {"type": "teleport", "tenant": "acme"},
    {
        "type": "sms.message",
        "tenant": "acme",
        "messageId": "i1",
        "campaignId": "x",
        "sentAt": "2026-11-20T10:05:00Z",
        "status": "delivered",
    },
]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    async def prepare() -> None:
        store = await SqliteStore.open(tmp_path / "gateway.sqlite3")
        await Tenancy(store).create_tenant("acme", "Acme")
        await store.close()

    asyncio.run(prepare())
    return tmp_path


def test_import_keeps_good_lines_and_reports_bad_ones(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = data_dir / "events.jsonl"
    source.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in LINES) + "\n\n"
    )
    assert main(["import", str(source), "--data-dir", str(data_dir)]) == 0
    printed = capsys.readouterr()
    report = json.loads(printed.out)
    assert (report["applied"], report["duplicates"], report["rejected"]) == (2, 1, 4)
    # The progress bar ends full.
    assert "[########################] 100%" in printed.err and "2 applied" in printed.err
    rejected = sorted(
        (json.loads(line) for line in Path(report["rejectedTo"]).read_text().splitlines()),
        key=lambda r: r["line"],
    )
    assert [(r["line"], r["reason"].split(":")[0]) for r in rejected] == [
        (3, "not JSON"),
        (4, "sms.message.sentAt"),
        (5, "unknown tenant 'nobody'"),
        (6, "event"),
    ]
    assert "teleport" in rejected[3]["reason"]
    assert rejected[2]["text"].startswith('{"type": "sms.message", "tenant": "nobody"')

    # Importing the same file again changes nothing.
    assert main(["import", str(source), "--data-dir", str(data_dir)]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["applied"], again["duplicates"]) == (0, 3)


def test_import_of_a_missing_file_says_so(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(data_dir / "nope.jsonl"), "--data-dir", str(data_dir)]) == 2
    assert "no file" in capsys.readouterr().err


def test_a_bad_line_is_only_that_lines_rejection(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = {"type": "contact", "tenant": "acme", "contactId": "c1"}
    account = {
        "type": "billing.account",
        "tenant": "acme",
        "organizationId": "o",
        "billingStatus": "active",
        "pricingModel": "per_message",
    }
    source = data_dir / "events.jsonl"
    source.write_bytes(
        b"\n".join(
            [
                json.dumps(good).encode(),
                b'{"type": "contact", "tenant": "acme", "contactId": "\xff\xfe"}',
                json.dumps({**account, "available": 9223372036854775808}).encode(),
                json.dumps({**account, "available": 3e9}).encode(),
                json.dumps({**good, "contactId": "c\u0000"}).encode(),
                json.dumps({**good, "createdAt": "9999-12-31T23:00:00Z"}).encode(),
                json.dumps(
                    {"type": "billing.credits", "tenant": "acme", "pool": "included", "delta": 5}
                ).encode(),
                json.dumps({**good, "contactId": "c2"}).encode(),
            ]
        )
        + b"\n"
    )
    assert main(["import", str(source), "--data-dir", str(data_dir)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["lines"], report["applied"], report["rejected"]) == (8, 2, 6)
    reasons = [
        json.loads(line)["reason"] for line in Path(report["rejectedTo"]).read_text().splitlines()
    ]
    assert reasons[0].startswith("not UTF-8: byte 0xff")
    assert "less than or equal to 1000000000" in reasons[1] and reasons[1] == reasons[2]
    assert "NUL" in reasons[3] and "less than 2100-01-01" in reasons[4]
    assert "billing.credits needs an id" in reasons[5]
