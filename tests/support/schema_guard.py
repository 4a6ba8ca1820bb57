"""The schema guard: what changed in schema.graphql since the last release (its schema kept in
tests/schema_tools/releases/), as GraphQL Inspector's `diff` finds it, against what CHANGELOG.md's
[Unreleased] section records (docs/schema.md gives the rules and the release procedure).

- A breaking change is listed under `### Breaking`; a dangerous one (a default value, an
  argument added with a default, an interface added to a type, ...) under `### Dangerous` or
  `### Breaking`. Each item starts with the schema coordinates it records, in backticks:
  `- \\`Query.campaigns(first:)\\`: what changed, and what a client does about it.`
- What can be deprecated (a field, an argument, an input field, an enum value) is removed only
  after a release that deprecated it, recorded or not.

`python -m tests.support.schema_guard` prints every change with its coordinate, then what the
CHANGELOG still has to say; it exits 1 when something is missing.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from graphql import GraphQLSchema, build_schema

from tests.support.npm import installed

__all__ = [
    "CHANGELOG",
    "RELEASES",
    "SCHEMA_FILE",
    "TOOLS",
    "Change",
    "changes_between",
    "install_tools",
    "last_release",
    "problems",
    "recorded",
    "released_versions",
]

ROOT = Path(__file__).parents[2]
SCHEMA_FILE = ROOT / "schema.graphql"
CHANGELOG = ROOT / "CHANGELOG.md"
TOOLS = (
    ROOT / "tests" / "schema_tools"
)  # package.json: GraphQL Inspector and graphql-schema-linter, pinned
RELEASES = TOOLS / "releases"

BREAKING, DANGEROUS = "BREAKING", "DANGEROUS"
SECTIONS = {BREAKING: "Breaking", DANGEROUS: "Dangerous"}
# Removals of what GraphQL lets a schema deprecate first (Inspector's change types).
DEPRECATABLE = {
    "FIELD_REMOVED",
    "FIELD_ARGUMENT_REMOVED",
    "INPUT_FIELD_REMOVED",
    "ENUM_VALUE_REMOVED",
}
VERSION = re.compile(r"^## \[(\d+)\.(\d+)\.(\d+)\]", re.M)


@dataclass(frozen=True)
class Change:
    """One change as GraphQL Inspector reports it."""

    type: str  # FIELD_REMOVED, FIELD_ARGUMENT_DEFAULT_CHANGED, ...
    level: str  # BREAKING, DANGEROUS or NON_BREAKING
    path: str | None  # Inspector's: `Type.field.argument`, `Enum.VALUE`, `.@directive.argument`
    message: str

    @property
    def coordinate(self) -> str:
        """GraphQL's schema coordinate (`Type.field`, `Type.field(argument:)`, `Enum.VALUE`,
        `@directive(argument:)`); a directive's use keeps Inspector's path, the schema's own
        named `schema` (`PageInfo.@shareable`, `schema.@link.url`)."""
        path = self.path or "schema"
        if path.startswith("."):
            path = "schema" + path
        parts = path.split(".")
        if self.type.startswith("FIELD_ARGUMENT_") and len(parts) == 3:
            return f"{parts[0]}.{parts[1]}({parts[2]}:)"
        if self.type.startswith("DIRECTIVE_ARGUMENT_") and len(parts) == 2:
            return f"{parts[0]}({parts[1]}:)"
        return path


def install_tools() -> Path:
    """schema/'s packages as its lockfile pins them (skips the test without Node.js, except
    where GATEWAY_REQUIRE_NODE=1)."""
    installed(TOOLS, "GraphQL Inspector and graphql-schema-linter")
    return TOOLS


def changes_between(old: Path, new: Path) -> list[Change]:
    """Every change from `old` to `new`, by GraphQL Inspector's diff (with the handler in
    tests/schema_tools/changes.cjs, which prints them as JSON)."""
    run = subprocess.run(
        [
            str(TOOLS / "node_modules" / ".bin" / "graphql-inspector"),
            "diff",
            str(old.resolve()),
            str(new.resolve()),
            "--onComplete",
            "changes.cjs",
        ],
        cwd=TOOLS,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if run.returncode != 0:
        raise RuntimeError(f"graphql-inspector diff failed: {run.stdout}{run.stderr}")
    for line in run.stdout.splitlines():
        if line.startswith("schema-changes "):
            return [Change(**item) for item in json.loads(line.removeprefix("schema-changes "))]
    return []  # Inspector says "No changes detected" and calls no handler


def recorded(changelog: str) -> dict[str, set[str]]:
    """The coordinates [Unreleased]'s `### Breaking` and `### Dangerous` items name, by level."""
    unreleased = changelog.partition("## [Unreleased]")[2].split("\n## [", 1)[0]
    found: dict[str, set[str]] = {BREAKING: set(), DANGEROUS: set()}
    for level, title in SECTIONS.items():
        section = re.search(rf"^### {title}\n(.*?)(?=^### |\Z)", unreleased, re.M | re.S)
        if section is None:
            continue
        for item in re.findall(r"^- (.*)$", section.group(1), re.M):
            lead = re.match(r"((?:`[^`]+`(?:,? and |, | )?)+):", item)
            if lead is not None:
                found[level] |= set(re.findall(r"`([^`]+)`", lead.group(1)))
    return found


def problems(changes: list[Change], record: dict[str, set[str]], old: GraphQLSchema) -> list[str]:
    """What the changelog still has to record, and removals not deprecated in the last release."""
    found = []
    for change in changes:
        names = {change.coordinate, change.path or ""}
        if change.level == BREAKING:
            if change.type in DEPRECATABLE and not _deprecated(old, change.path or ""):
                found.append(
                    f"`{change.coordinate}` was removed without a release deprecating it first"
                    f" ({change.message}): keep it with @deprecated(reason: ...) for a release"
                )
            if not names & record[BREAKING]:
                found.append(_unrecorded(change, "Breaking"))
        elif change.level == DANGEROUS and not names & (record[BREAKING] | record[DANGEROUS]):
            found.append(_unrecorded(change, "Dangerous"))
    return found


def _unrecorded(change: Change, section: str) -> str:
    return (
        f"{change.level} `{change.coordinate}`: {change.message}; not recorded under"
        f" `### {section}` in CHANGELOG.md's [Unreleased] (- `{change.coordinate}`: ...)"
    )


def _deprecated(schema: GraphQLSchema, path: str) -> bool:
    """Whether what `path` (Inspector's) names carries @deprecated in `schema`."""
    type_name, _, rest = path.partition(".")
    graphql_type = schema.type_map.get(type_name)
    member, _, argument = rest.partition(".")
    values = getattr(graphql_type, "values", None)
    if values is not None:
        value = values.get(member)
        return value is not None and value.deprecation_reason is not None
    field = getattr(graphql_type, "fields", {}).get(member)
    if field is None:
        return False
    if argument:
        arg = field.args.get(argument)
        return arg is not None and arg.deprecation_reason is not None
    return field.deprecation_reason is not None


def released_versions(changelog: str) -> list[tuple[int, int, int]]:
    """The versions CHANGELOG.md names as released, newest first."""
    return [(int(a), int(b), int(c)) for a, b, c in VERSION.findall(changelog)]


def last_release() -> tuple[str, Path]:
    """The newest release's version and its schema file in tests/schema_tools/releases/."""
    versions = []
    for path in RELEASES.glob("v*.graphql"):
        version = tuple(int(part) for part in path.stem.removeprefix("v").split("."))
        versions.append((version, path))
    newest, path = max(versions)
    return ".".join(map(str, newest)), path


def main() -> int:
    install_tools()
    version, old = last_release()
    changes = changes_between(old, SCHEMA_FILE)
    print(f"schema.graphql against {old.relative_to(ROOT)} (release {version}):")
    for change in changes:
        print(f"  {change.level:<12} {change.coordinate}: {change.message}")
    found = problems(changes, recorded(CHANGELOG.read_text()), build_schema(old.read_text()))
    for problem in found:
        print(f"missing: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
