"""The sources file: validated whole, secrets only by environment variable name."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config.sources import SourcesError, load_sources
from gateway.platforms import load_platforms

PLATFORMS = load_platforms()

GOOD = """
[sources.ps]
platform = "pilotstatus"
base_url = "https://pilotstatus.example"
[sources.ms]
platform = "messagesender"
base_url = "https://messagesender.example"
auth_header = "authorization"
auth_scheme = "Token"
[tenants.acme]
sms = "ms"
credentials = { ms = "ACME_MS" }
[[tenants.acme.numbers]]
source = "ps"
phone = "+5511900000009"
key_id_env = "ACME_PS_ID"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text)
    return path


def test_a_good_file_and_its_secrets(tmp_path: Path) -> None:
    config, secrets = load_sources(
        write(tmp_path, GOOD), {"ACME_MS": "m", "ACME_PS_ID": "p"}, platforms=PLATFORMS
    )
    assert secrets == {("acme", "ms"): "m", ("acme", "+5511900000009"): "p"}
    assert config.tenants["acme"].email == "native"
    assert config.sources["ms"].auth() == ("authorization", "Token")
    assert config.sources["ps"].auth() == ("x-api-key", "")


@pytest.mark.parametrize(
    ("text", "env", "fragment"),
    [
        (GOOD, {"ACME_MS": "m"}, "ACME_PS_ID"),
        (GOOD.replace('sms = "ms"', 'sms = "ps"'), {}, "sms needs a source answering sms"),
        (GOOD.replace('source = "ps"', 'source = "nowhere"'), {}, "names no source 'nowhere'"),
        (GOOD.replace('key_id_env = "ACME_PS_ID"', ""), {}, "exactly one of key_env"),
        (GOOD.replace("https://pilotstatus.example", "ftp://x"), {}, "base_url"),
        ("[sources", {}, "sources file"),
    ],
)
def test_bad_files_say_why(tmp_path: Path, text: str, env: dict[str, str], fragment: str) -> None:
    with pytest.raises(SourcesError, match=fragment):
        load_sources(write(tmp_path, text), env, platforms=PLATFORMS)


def test_no_file_means_everything_is_native() -> None:
    config, secrets = load_sources(None, platforms=PLATFORMS)
    assert config.tenants == {} and secrets == {}


def test_the_documented_example_is_a_valid_sources_file(tmp_path: Path) -> None:
    import re

    page = (Path(__file__).parents[2] / "docs" / "upstream.md").read_text()
    [example] = re.findall(r"```toml\n(.*?)```", page, flags=re.DOTALL)
    env = dict.fromkeys(re.findall(r'"([A-Z_]+_KEY)"', example), "secret")
    config, secrets = load_sources(write(tmp_path, example), env, platforms=PLATFORMS)
    assert set(config.sources) == {"ps", "ms"} and len(secrets) == 2
