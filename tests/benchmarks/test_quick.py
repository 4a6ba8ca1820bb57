"""The benchmarks in CI-sized quick mode: each runs and prints well-formed figures."""

from __future__ import annotations

import os
import re

import pytest

from tests.benchmarks import (
    compression,
    fanout,
    http_throughput,
    ingest,
    live_fanout,
    memory,
    report_miss,
    scale,
    statement_cache,
    store_scaling,
    upstream_floor,
    webhook_numbers,
    workload,
)
from tests.support.pgbouncer import PGBOUNCER


def test_store_scaling_quick(capsys: pytest.CaptureFixture[str]) -> None:
    store_scaling.main(["--sizes", "500,5000", "--runs", "3", "--warmup", "1"])
    out = capsys.readouterr().out
    assert re.search(r"messages=500 +median_ms=\d+\.\d+ p90_ms=\d+\.\d+", out), out
    for backend in ("sqlite", "postgresql"):
        assert re.search(rf"{backend} ratio 5000/500 = \d+\.\d+ \(target <= 1\.5\)", out), out
    assert re.search(r"postgresql/sqlite at 5000 messages = \d+\.\d+", out), out


def test_ingest_quick(capsys: pytest.CaptureFixture[str]) -> None:
    ingest.main(["--events", "3000", "--runs", "1"])
    out = capsys.readouterr().out
    for backend in ("sqlite", "postgresql"):
        assert re.search(
            rf"backend={backend} +import events_per_s median=[\d,]+ min=[\d,]+ max=[\d,]+", out
        ), out
    assert re.search(r"import postgresql/sqlite = \d+\.\d+, target >= 0\.8", out), out
    assert re.search(r"target import \(SQLite\) >= 60,000 events/s: (ok|under target)", out), out
    assert re.search(r"target webhooks \(SQLite\) >= 25,000 events/s", out), out


def test_webhook_numbers_quick(capsys: pytest.CaptureFixture[str]) -> None:
    webhook_numbers.main(["--posts", "2"])
    out = capsys.readouterr().out
    for backend in ("sqlite", "postgresql"):
        for kind in ("new", "known", "refused"):
            assert re.search(rf"backend={backend} +{kind} +median_ms=[\d,]+ min_ms=", out), out


def test_fanout_quick(capsys: pytest.CaptureFixture[str]) -> None:
    fanout.main(["--reports", "5", "--runs", "1", "--latency", "0.01"])
    out = capsys.readouterr().out
    assert re.search(r"upstream_requests=5 max_in_flight=\d+", out), out
    assert re.search(r"ratio 5 reports / one = \d+\.\d+", out), out


def test_http_throughput_quick(capsys: pytest.CaptureFixture[str]) -> None:
    kinds = ("plain", "hit", "miss", "default", "upstream2")
    http_throughput.main(
        [
            "--seconds",
            "0.5",
            "--rounds",
            "1",
            "--loader",
            "python",
            "--connections",
            "4",
            "--messages",
            "500",
            "--kinds",
            ",".join(kinds),
        ]
    )
    out = capsys.readouterr().out
    for kind in kinds:
        assert re.search(rf"{kind} +requests_per_s=[\d,]+ cpu_ms_per_request=\d+\.\d+", out), out
    for a, b in (("hit", "plain"), ("miss", "plain"), ("miss", "default"), ("upstream2", "plain")):
        assert re.search(rf"ratio {a}/{b} = \d+\.\d+ \(target", out), out
    assert re.search(r"miss cpu_ms_per_request = \d+\.\d+ \(target <= 0\.8\)", out), out


def test_memory_quick(capsys: pytest.CaptureFixture[str]) -> None:
    memory.main(["--warmup", "0.5", "--seconds", "1"])
    out = capsys.readouterr().out
    assert re.search(r"rss_before_kib=\d+ rss_after_kib=\d+", out), out
    assert re.search(r"growth = -?\d+\.\d% \(target <= 10%\)", out), out


def test_compression_quick(capsys: pytest.CaptureFixture[str]) -> None:
    compression.main(["--rounds", "3", "--calls", "300", "--messages", "200"])
    out = capsys.readouterr().out
    for kind in ("off", "identity", "gzip", "br"):
        assert re.search(rf"{kind} +hit_us_median=\d+\.\d+ bytes=\d+", out), out
    for kind in ("identity", "gzip", "br"):
        assert re.search(rf"ratio {kind}/off = \d+\.\d+ \(target <= 1\.15\)", out), out
    sizes = re.search(r"answer bytes identity=(\d+) gzip=(\d+) br=(\d+)", out)
    assert sizes is not None and int(sizes[1]) > int(sizes[2]) > int(sizes[3]), out


def test_statement_cache_quick(capsys: pytest.CaptureFixture[str]) -> None:
    if PGBOUNCER is None:
        if os.environ.get("GATEWAY_REQUIRE_POSTGRES") == "1":
            pytest.fail("GATEWAY_REQUIRE_POSTGRES=1 but no PgBouncer (Debian's pgbouncer)")
        pytest.skip("needs PgBouncer (Debian's pgbouncer)")
    statement_cache.main(["--clients", "4", "--seconds", "0.3", "--rounds", "1"])
    out = capsys.readouterr().out
    for label in (
        "PostgreSQL, cache 512",
        "PostgreSQL, cache 0",
        "PgBouncer .transaction., cache 0",
    ):
        assert re.search(rf"{label} +requests_per_s=\d+\.\d ratio_to_cache=\d+\.\d\d", out), out


def test_live_fanout_quick(capsys: pytest.CaptureFixture[str]) -> None:
    live_fanout.main(["--sizes", "2,20", "--seconds", "1"])
    out = capsys.readouterr().out
    for shape in ("same", "distinct", "changing"):
        for size in (2, 20):
            assert re.search(
                rf"{shape} +subscriptions={size} +cpu_ms_per_event=\d+\.\d+ "
                r"answers_per_s=\d+\.\d+ nexts=\d+ healthz_worst_ms=\d+\.\d+",
                out,
            ), out
        assert re.search(rf"{shape} ratio 20/2: cpu_per_event = \d+\.\d+", out), out
    assert re.search(r"healthz worst = \d+\.\d+ ms \(target < 100\)", out), out


def test_scale_quick(capsys: pytest.CaptureFixture[str]) -> None:
    scale.main(["--numbers", "60", "--campaigns", "300", "--messages", "6000", "--runs", "2"])
    out = capsys.readouterr().out
    assert re.search(r"calm /healthz worst_ms=\d+\.\d", out), out
    for document in ("campaigns page", "deliveryByChannel", "_entities x100 of 5"):
        for tenant in ("small", "large"):
            assert re.search(
                rf"{document} +{tenant} +median_ms= *\d+\.\d worst_livez_ms= *\d+\.\d "
                r"worst_healthz_ms= *\d+\.\d answer_kb= *\d+\.\d rss_mb= *\d+\.\d",
                out,
            ), out
        assert re.search(rf"{document} ratio large/small = \d+\.\d+ \(target <= 1\.5\)", out), out
    assert re.search(r"numbers (page 5|\(unpaged\)) +small +median_ms=", out), out
    assert re.search(r"_entities x100 +large +median_ms=", out), out
    assert re.search(r"peak rss_mb=\d+\.\d; worst ratio = \d+\.\d+", out), out


def test_report_miss_quick(capsys: pytest.CaptureFixture[str]) -> None:
    report_miss.main(["--quick"])
    out = capsys.readouterr().out
    assert re.search(
        r"plain aiohttp handler \((wrk|python), 16 connections\): [\d,]+ requests/s, "
        r"\d+ us CPU per request",
        out,
    ), out
    for backend in ("sqlite", "postgresql"):
        for document in ("numbers dashboard DAYS_90", "sms bestSendTimes", "deliveryByChannel"):
            assert re.search(
                rf"{backend} +{document}.*? +\d+\.\d\d +\d+\.\d\d +\d+\.\d +\d+ +\d+\.\d\d +\d+"
                r" +\d+\.\d\d +\d+ +\d+\.\d\d +\d+$",
                out,
                re.M,
            ), out
    assert re.search(r"worst document = \d+ plain requests \(target <= 50\)", out), out


def test_upstream_floor_quick(capsys: pytest.CaptureFixture[str]) -> None:
    upstream_floor.main(
        ["--seconds", "0.5", "--rounds", "1", "--loader", "python", "--connections", "4"]
    )
    out = capsys.readouterr().out
    for kind in ("floor", "upstream1"):
        assert re.search(rf"{kind} +requests_per_s=[\d,]+", out), out
    assert "answers of the same size: True" in out, out
    assert re.search(r"ratio upstream1/floor = \d+\.\d+ \(target >= 0\.333", out), out


def test_workload_quick(capsys: pytest.CaptureFixture[str]) -> None:
    workload.main(["--quick"])
    out = capsys.readouterr().out
    for server in ("plain aiohttp", "mix, 1 worker", "mix, 2 workers"):
        assert re.search(
            rf"{server} +[\d,]+\.\d +\d+\.\d +\d+\.\d +\d\.\d\d +\d+\.\d{{3}} +\d+\.\d\d$",
            out,
            re.M,
        ), out
    assert "NOT CLEAN" not in out, out
    for kind in ("numbers DAYS_90 x10", "sms bestSendTimes", "deliveryByChannel 90"):
        assert re.search(rf"{kind} +miss_ms= *\d+\.\d\d plain_requests= *\d+", out), out
    assert re.search(r"worst miss = \d+ plain requests \(target <= 50\)", out), out
