"""The schema's clients are guarded: schema.graphql breaks nothing of the last release's schema
(tests/schema_tools/releases/) that CHANGELOG.md does not record, by GraphQL Inspector's diff, and
graphql-schema-linter finds nothing with the project's configuration (both pinned in
tests/schema_tools/package.json). docs/schema.md gives the rules and the release procedure."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from graphql import build_schema

from tests.support.schema_guard import (
    CHANGELOG,
    RELEASES,
    SCHEMA_FILE,
    TOOLS,
    Change,
    changes_between,
    install_tools,
    last_release,
    problems,
    recorded,
    released_versions,
)


@pytest.fixture(scope="module")
def tools() -> Path:
    return install_tools()


def test_the_schema_changes_nothing_unannounced_since_the_last_release(tools: Path) -> None:
    _, old = last_release()
    changes = changes_between(old, SCHEMA_FILE)
    record = recorded(CHANGELOG.read_text())
    found = problems(changes, record, build_schema(old.read_text()))
    assert found == [], "schema.graphql against " + old.name + ":\n" + "\n".join(found)
    # What the last release's clients see change is all recorded, down to its defaults.
    assert "Query.campaigns(first:)" in record["DANGEROUS"]


def test_the_newest_release_has_its_schema_kept() -> None:
    versions = released_versions(CHANGELOG.read_text())
    assert versions, "CHANGELOG.md names no release"
    newest = ".".join(map(str, versions[0]))
    assert last_release() == (newest, RELEASES / f"v{newest}.graphql")
    for version in versions:
        kept = RELEASES / f"v{'.'.join(map(str, version))}.graphql"
        assert build_schema(kept.read_text()).query_type is not None, kept


# A deliberate breaking change of the real schema: a count becomes a float.
BROKEN = ("type DeliveryTotals", "  total: Int!", "  total: Float!")


def broken_schema(tmp_path: Path) -> Path:
    text = SCHEMA_FILE.read_text()
    start = text.index(BROKEN[0])
    end = text.index("\n}", start)
    block = text[start:end]
    assert BROKEN[1] in block
    path = tmp_path / "schema.graphql"
    path.write_text(text[:start] + block.replace(BROKEN[1], BROKEN[2]) + text[end:])
    return path


def test_a_breaking_change_fails_until_the_changelog_records_it(
    tools: Path, tmp_path: Path
) -> None:
    changes = changes_between(SCHEMA_FILE, broken_schema(tmp_path))
    assert [(c.level, c.coordinate) for c in changes] == [("BREAKING", "DeliveryTotals.total")]
    now = build_schema(SCHEMA_FILE.read_text())
    found = problems(changes, recorded(CHANGELOG.read_text()), now)
    assert len(found) == 1 and "`DeliveryTotals.total`" in found[0] and "Breaking" in found[0]
    # Under Dangerous is not enough for a breaking change; under Breaking it is.
    dangerous = "## [Unreleased]\n\n### Dangerous\n- `DeliveryTotals.total`: a float.\n"
    assert len(problems(changes, recorded(dangerous), now)) == 1
    breaking = "## [Unreleased]\n\n### Breaking\n- `DeliveryTotals.total`: a float now.\n"
    assert problems(changes, recorded(breaking), now) == []


OLD = """
type Query {
  "Kept."
  kept(first: Int = 20, "Gone." gone: Int @deprecated(reason: "use first"), soon: Int): Int
  "Deprecated, then removed."
  old: Int @deprecated(reason: "use kept")
  "Removed at once."
  abrupt: Int
  "Its values."
  status: Status
}

"A status."
enum Status {
  "On."
  ON
  "Off."
  OFF @deprecated(reason: "use ON")
  "Paused."
  PAUSED
}
"""

NEW = """
type Query {
  "Kept."
  kept(first: Int = 50): Int
  "Its values."
  status: Status
}

"A status."
enum Status {
  "On."
  ON
}
"""


def test_a_removal_needs_a_release_that_deprecated_it_and_a_record(
    tools: Path, tmp_path: Path
) -> None:
    (tmp_path / "old.graphql").write_text(OLD)
    (tmp_path / "new.graphql").write_text(NEW)
    changes = changes_between(tmp_path / "old.graphql", tmp_path / "new.graphql")
    levels = {c.coordinate: c.level for c in changes}
    assert levels == {
        "Query.old": "BREAKING",
        "Query.abrupt": "BREAKING",
        "Query.kept(gone:)": "BREAKING",
        "Query.kept(soon:)": "BREAKING",
        "Status.OFF": "BREAKING",
        "Status.PAUSED": "BREAKING",
        "Query.kept(first:)": "DANGEROUS",
    }
    old = build_schema(OLD)
    unrecorded = problems(changes, recorded(""), old)
    assert len(unrecorded) == 7 + 3  # each unrecorded, and three never deprecated
    changelog = """## [Unreleased]

### Breaking
- `Query.old`, `Query.abrupt`: removed.
- `Query.kept(gone:)`, `Query.kept(soon:)` and `Status.OFF`: removed.
- `Status.PAUSED`: removed.

### Dangerous
- `Query.kept(first:)`: 50 by default.

## [0.1.0] - 2026-11-22

### Breaking
- `Query.anything`: an older release's record counts for nothing now.
"""
    left = problems(changes, recorded(changelog), old)
    assert sorted(text.split("`")[1] for text in left) == [
        "Query.abrupt",
        "Query.kept(soon:)",
        "Status.PAUSED",
    ]
    assert all("without a release deprecating it first" in text for text in left)


def test_a_dangerous_change_is_listed_under_dangerous_or_breaking(
    tools: Path, tmp_path: Path
) -> None:
    (tmp_path / "old.graphql").write_text('type Query { "A." a(n: Int = 20): Int }')
    (tmp_path / "new.graphql").write_text('type Query { "A." a(n: Int = 10): Int }')
    changes = changes_between(tmp_path / "old.graphql", tmp_path / "new.graphql")
    old = build_schema('type Query { "A." a(n: Int = 20): Int }')
    assert [c.coordinate for c in changes] == ["Query.a(n:)"]
    assert "Dangerous" in problems(changes, recorded("## [Unreleased]\n"), old)[0]
    for section in ("Dangerous", "Breaking"):
        changelog = f"## [Unreleased]\n\n### {section}\n- `Query.a(n:)`: 10 by default.\n"
        assert problems(changes, recorded(changelog), old) == []
    # Named in passing, not as what the item records: not recorded.
    passing = "## [Unreleased]\n\n### Dangerous\n- The default of `Query.a(n:)` is 10.\n"
    assert len(problems(changes, recorded(passing), old)) == 1


def test_no_change_is_no_problem(tools: Path) -> None:
    assert changes_between(SCHEMA_FILE, SCHEMA_FILE) == []


def test_a_change_s_coordinate_is_graphql_s() -> None:
    def coordinate(kind: str, path: str | None) -> str:
        return Change(kind, "DANGEROUS", path, "").coordinate

    assert coordinate("FIELD_ARGUMENT_DEFAULT_CHANGED", "Query.a.n") == "Query.a(n:)"
    assert coordinate("DIRECTIVE_ARGUMENT_REMOVED", "@cached.ttl") == "@cached(ttl:)"
    assert coordinate("FIELD_TYPE_CHANGED", "Type.field") == "Type.field"
    assert coordinate("DIRECTIVE_USAGE_ARGUMENT_REMOVED", ".@link.url") == "schema.@link.url"
    assert coordinate("SCHEMA_QUERY_TYPE_CHANGED", None) == "schema"


def lint(schema: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TOOLS / "node_modules" / ".bin" / "graphql-schema-linter"), str(schema.resolve())],
        cwd=TOOLS,  # where its configuration is (graphql-schema-linter.config.js)
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_schema_linter_finds_nothing(tools: Path) -> None:
    run = lint(SCHEMA_FILE)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_linter_finds_an_undescribed_enum_value_and_a_lower_case_description(
    tools: Path, tmp_path: Path
) -> None:
    text = SCHEMA_FILE.read_text()
    text = text.replace('"""Every bounce: hard + soft."""', '"""hard + soft."""', 1)
    text = text.replace('  """Stopped by the sender."""\n', "", 1)
    (tmp_path / "schema.graphql").write_text(text)
    run = lint(tmp_path / "schema.graphql")
    assert run.returncode != 0
    assert "The enum value `CampaignStatus.CANCELED` is missing a description." in run.stdout
    assert "The description for field `Bounces.total` should be capitalized." in run.stdout
    assert "sorted-alphabetically" not in run.stdout  # fields are in reading order, on purpose
