"""The "your own data" guide (docs/own-data.md) runs as written: its shell blocks, in order, in
one bash in an empty directory, with the installed `gateway` command and the guide's own
Python script, against a real server on a loopback port. Each output the guide shows is
checked against what the block printed ("..." stands for any value)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.live import free_port

GUIDE = Path(__file__).parent.parent / "docs" / "own-data.md"
FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```\n", re.DOTALL | re.MULTILINE)
MARK = "@@@ block "


def guide() -> tuple[list[str], dict[str, str], dict[int, list[str]]]:
    """The shell blocks in order, the files the guide gives (by title) and the outputs shown
    after each shell block."""
    shell: list[str] = []
    files: dict[str, str] = {}
    shown: dict[int, list[str]] = {}
    for match in FENCE.finditer(GUIDE.read_text()):
        language, attributes, text = match.groups()
        title = re.search(r'title="([^"]+)"', attributes)
        if language == "sh":
            shell.append(text)
        elif title:
            files[title.group(1)] = text
        elif language == "text" and shell:
            shown.setdefault(len(shell) - 1, []).append(text)
    return shell, files, shown


def same(expected: Any, found: Any) -> bool:
    if expected == "...":
        return True
    if isinstance(expected, dict):
        return (
            isinstance(found, dict)
            and expected.keys() == found.keys()
            and all(same(v, found[k]) for k, v in expected.items())
        )
    if isinstance(expected, list):
        return (
            isinstance(found, list)
            and len(expected) == len(found)
            and all(same(e, f) for e, f in zip(expected, found, strict=True))
        )
    return bool(expected == found and type(expected) is type(found))


def printed(expected: str, output: str) -> bool:
    """Whether a line the guide shows is among the lines a block printed."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    try:
        wanted = json.loads(expected)
    except ValueError:
        words = [re.escape(word).replace(re.escape("..."), ".*?") for word in expected.split()]
        pattern = re.compile(r"\s+".join(words))
        return any(pattern.fullmatch(" ".join(line.split())) for line in lines)
    for line in lines:
        try:
            if same(wanted, json.loads(line)):
                return True
        except ValueError:
            continue
    return False


def test_the_guide_has_every_step() -> None:
    shell, files, shown = guide()
    text = "\n".join(shell)
    for step in (
        "gateway init",
        "gateway tenants create",
        "gateway numbers add",
        "gateway keys create --tenant acme --number",
        "gateway webhooks create",
        "gateway import",
        "gateway serve --no-demo",
        "python3 send_events.py",
        "dashboard(period: DAYS_7)",
    ):
        assert step in text, step
    assert list(files) == ["send_events.py"] and len(shown) >= 6


def test_the_guide_runs_as_written(tmp_path: Path) -> None:
    shell, files, shown = guide()
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    script = [
        "set -euo pipefail",
        # A server the guide started is stopped even when a later block fails.
        'trap \'[ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null; true\' EXIT',
    ]
    for index, block in enumerate(shell):
        script += [f"echo '{MARK}{index}'", block]
    bin_dir = Path(sys.executable).parent
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("GATEWAY_") or name == "GATEWAY_METRICS_PORT"
    }
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        GATEWAY_PORT=str(free_port()),
        TZ="Pacific/Chatham",  # the guide's times are UTC: a local zone changes nothing
    )
    process = subprocess.Popen(
        ["bash", "-c", "\n".join(script)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"the guide did not finish:\n{out[-3000:]}\n{err[-3000:]}")
    assert process.returncode == 0, f"{out[-3000:]}\n{err[-3000:]}"
    outputs = dict.fromkeys(range(len(shell)), "")
    for part in out.split(MARK)[1:]:
        number, _, text = part.partition("\n")
        outputs[int(number)] = text
    for index, texts in shown.items():
        for text in texts:
            for line in text.splitlines():
                assert printed(line, outputs[index]), (
                    f"block {index} of the guide shows\n{line}\nbut printed\n{outputs[index]}"
                )
    assert (tmp_path / "gateway-data" / "gateway.sqlite3").is_file()
