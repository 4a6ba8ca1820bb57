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
