"""The documentation (README.md and the MkDocs site in docs/) builds strictly, offline, and every
example in it that can run does: queries validate against the schema, the sources file and the
event load, each `gateway` command line is one the command accepts, each file named exists.
Every setting and every error code the gateway has is documented somewhere."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from graphql import parse, validate

from gateway.cli.parser import build_parser
from gateway.config.settings import PREFIX, Settings
from gateway.domain.events import parse_event_json
from gateway.errors import GatewayError
from gateway.schema import build_schema
from tests.support.live import free_port

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
README = ROOT / "README.md"


def docs_text() -> str:
    return "\n".join(path.read_text() for path in PAGES)


def blocks(language: str, paths: list[Path]) -> list[tuple[str, str]]:
    """(where, text) of every fenced block in that language, indented ones included."""
    found = []
    for path in paths:
        fences = re.finditer(
            rf"^( *)```{language}\n(.*?)^\1```", path.read_text(), flags=re.DOTALL | re.M
        )
        for match in fences:
            indent = len(match.group(1))
            text = "".join(line[indent:] for line in match.group(2).splitlines(keepends=True))
            found.append((path.relative_to(ROOT).as_posix(), text))
    return found


def test_the_site_builds_strictly_and_offline(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"  # anything fetched over the network would fail
    env = {
        **os.environ,
        "HTTP_PROXY": closed,
        "HTTPS_PROXY": closed,
        "http_proxy": closed,
        "https_proxy": closed,
        "NO_MKDOCS_2_WARNING": "1",
    }
    site = tmp_path / "site"
    build = ["mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"), "-d", str(site)]
    done = subprocess.run(
        [sys.executable, "-m", *build],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    for page in PAGES:
        relative = page.relative_to(DOCS).with_suffix("")
        html = site / ("index.html" if relative.name == "index" else f"{relative}/index.html")
        text = html.read_text()
        # Nothing a page loads comes from elsewhere (Material's web fonts are off).
        assert not re.search(r'(src|href)="https?://[^"]*\.(js|css|woff2?)"', text), html
        assert "fonts.googleapis" not in text, html


TEST_COMMAND = (
    "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'"
    " && .venv/bin/pip install ./examples/platforms/sendgrid && .venv/bin/python -m pytest"
)


def test_the_readme_is_short_and_opens_with_the_two_commands() -> None:
    text = README.read_text()
    assert len(text.splitlines()) <= 250
    first = re.search(r"```sh\n(.*?)```", text, flags=re.DOTALL)
    assert first is not None and text.index("```") < text.index("\n## ")
    assert first.group(1).splitlines() == [
        "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/gateway serve",
        TEST_COMMAND,
    ]
    # CI runs the README's test command as it is written there.
    assert TEST_COMMAND in (ROOT / ".ci" / "run").read_text().splitlines()


def test_the_readme_links_only_to_pages_that_exist() -> None:
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README.read_text())
    local = [link for link in links if "://" not in link]
    assert local and [link for link in local if not (ROOT / link).exists()] == []


def test_nothing_cites_a_file_users_do_not_have() -> None:
    for path in [README, *PAGES]:
        assert "ARCHITECTURE" not in path.read_text(), path


GRAPHQL = blocks("graphql", [README, *PAGES])


@pytest.mark.parametrize(
    "where, query", GRAPHQL, ids=[f"{w}:{i}" for i, (w, _) in enumerate(GRAPHQL)]
)
def test_queries_are_valid(where: str, query: str) -> None:
    assert validate(build_schema()._schema, parse(query)) == [], where


def test_there_are_example_queries_for_every_area() -> None:
    text = "\n".join(query for _, query in GRAPHQL)
    for field in (
        "dashboard",
        "numbersConnection",
        "sms",
        "email",
        "campaigns",
        "billing",
        "deliveryByChannel",
        "node",
    ):
        assert re.search(rf"\b{field}\b", text), field


def test_json_examples_parse_and_the_event_is_one_the_gateway_takes() -> None:
    found = blocks("json", [README, *PAGES])
    assert found
    events = 0
    for where, text in found:
        value = json.loads(text)
        if isinstance(value, dict) and "type" in value:
            parse_event_json(text)
            events += 1
        else:
            assert value == {"x-api-key": "agk_..."}, where
    assert events >= 1


def command_lines(text: str) -> list[list[str]]:
    """Each `gateway ...` command of a shell block, as its words."""
    joined = text.replace("\\\n", " ")
    commands = []
    for line in joined.splitlines():
        words = shlex.split(line, comments=True)
        current: list[str] | None = None
        redirected = False  # the word after `>` is where output goes, not an argument
        for word in words:
            if redirected or re.fullmatch(r"\d?[<>]+(&\d)?", word):
                redirected = not redirected and not word.endswith(tuple("0123456789"))
                continue
            if word in ("&&", "||", "|", ";", "&", ")") or word.endswith(("&", ";")):
                if current is not None:
                    if word.endswith(("&", ";")) and word not in ("&", ";", "&&"):
                        current.append(word.rstrip("&;"))
                    commands.append(current)
                current = None
            elif current is not None:
                current.append(word)
            elif word == "gateway" or word.endswith("/bin/gateway"):
                current = []
        if current is not None:
            commands.append(current)
    return commands


SHELL = [
    (where, words)
    for where, text in blocks("sh", [README, *PAGES])
    for words in command_lines(text)
]


def test_the_docs_show_many_gateway_commands() -> None:
    assert len(SHELL) >= 20
    assert {words[0] for _, words in SHELL} >= {
        "serve",
        "import",
        "keys",
        "tenants",
        "numbers",
        "webhooks",
        "check",
        "migrate-store",
        "trusted-documents",
        "graphiql-assets",
        "query",
    }


@pytest.mark.parametrize("where, words", SHELL, ids=[f"{w}:{' '.join(c)[:40]}" for w, c in SHELL])
def test_gateway_commands_are_ones_the_command_accepts(where: str, words: list[str]) -> None:
    try:
        build_parser().parse_args(words)
    except SystemExit as exit:
        assert exit.code == 0, f"{where}: gateway {' '.join(words)}"


def test_every_file_the_docs_name_exists() -> None:
    text = docs_text() + README.read_text()
    named = set(re.findall(r"(?<![\w/.$-])((?:gateway|tests|examples)/[\w./-]*\w)", text))
    named |= {
        module.replace(".", "/") + ".py"
        for module in re.findall(r"-m (tests\.[\w.]+)", text)
        if not (ROOT / module.replace(".", "/")).is_dir()
    }
    missing = sorted(path for path in named if not (ROOT / path).exists())
    assert len(named) > 30 and missing == []


def test_every_setting_is_documented() -> None:
    text = docs_text()
    missing = [
        PREFIX + name.upper() for name in Settings.model_fields if PREFIX + name.upper() not in text
    ]
    assert missing == []


def error_codes() -> set[str]:
    codes = set()
    pending: list[type[GatewayError]] = [GatewayError]
    while pending:
        cls = pending.pop()
        codes.add(cls.code)
        pending.extend(cls.__subclasses__())
    return codes


def test_every_error_code_is_documented() -> None:
    import gateway.http.app  # noqa: F401  (every error class loaded)

    errors = (DOCS / "errors.md").read_text()
    codes = error_codes() | {"EVENT_NOT_FOR_SOURCE", "URL_NOT_HTTP", "UNKNOWN_NUMBER"}
    codes |= {"TOO_MANY_NUMBERS"}
    assert len(codes) > 15
    assert sorted(code for code in codes if f"`{code}`" not in errors) == []
