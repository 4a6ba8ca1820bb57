"""The benchmarks in CI-sized quick mode: each runs and prints well-formed figures."""

from __future__ import annotations

import re

import pytest

from tests.benchmarks import (
    compression,
    fanout,
    http_throughput,
    ingest,
    memory,
    scale,
    store_scaling,
)


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
