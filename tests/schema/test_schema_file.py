from __future__ import annotations

import json
import subprocess
from pathlib import Path

from gateway.schema import build_schema
from gateway.schema.sdl import schema_file_sdl

SCHEMA_FILE = Path(__file__).parents[2] / "schema.graphql"


def test_schema_file_matches_the_code() -> None:
    assert SCHEMA_FILE.read_text() == schema_file_sdl(build_schema()) + "\n", (
        "schema.graphql is stale: run `gateway export-schema > schema.graphql`"
    )


BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}


def test_every_type_and_field_is_described() -> None:
    schema = build_schema()._schema
    missing = []
    for name, graphql_type in schema.type_map.items():
        # Built-ins, and the types and fields the federation spec defines (_Any, link__Import...).
        if name.startswith(("_", "link__")) or name in BUILT_IN:
            continue
        if not graphql_type.description:
            missing.append(name)
        for field_name, field in getattr(graphql_type, "fields", {}).items():
            if field_name.startswith("_"):
                continue
            if not field.description:
                missing.append(f"{name}.{field_name}")
            for arg_name, arg in getattr(field, "args", {}).items():
                if not arg.description:
                    missing.append(f"{name}.{field_name}({arg_name})")
        for value_name, value in getattr(graphql_type, "values", {}).items():
            if not value.description:
                missing.append(f"{name}.{value_name}")
    assert missing == []


def test_every_description_starts_with_a_capital() -> None:
    """As graphql-schema-linter's descriptions-are-capitalized asks (tests/schema/
    test_schema_guard.py runs it too, where Node.js is): a description is a sentence."""
    schema = build_schema()._schema
    lower = []
    for name, graphql_type in schema.type_map.items():
        if name.startswith(("_", "link__")) or name in BUILT_IN:
            continue
        described = [(name, graphql_type.description)]
        for field_name, field in getattr(graphql_type, "fields", {}).items():
            described.append((f"{name}.{field_name}", field.description))
            described += [
                (f"{name}.{field_name}({arg_name})", arg.description)
                for arg_name, arg in getattr(field, "args", {}).items()
            ]
        described += [
            (f"{name}.{value_name}", value.description)
            for value_name, value in getattr(graphql_type, "values", {}).items()
        ]
        lower += [where for where, text in described if text and text[0].islower()]
    assert lower == []


# graphql-js reads the file, and finds in it the subgraph SDL, whole, and only definitions more.
GRAPHQL_JS = """
import { readFileSync } from "node:fs";
import { Kind, buildSchema, parse, print } from "graphql";

const [file, sdl] = process.argv.slice(1).map((path) => readFileSync(path, "utf8"));
const built = buildSchema(file);
const printed = (source) => parse(source).definitions.map((d) => [d.kind, print(d)]);
const inFile = new Set(printed(file).map(([, text]) => text));
let refused = null;
try {
  buildSchema(sdl);
} catch (error) {
  refused = error.message;
}
const sdlPrinted = printed(sdl);
const inSdl = new Set(sdlPrinted.map(([, text]) => text));
console.log(JSON.stringify({
  types: Object.keys(built.getTypeMap()).length,
  directives: built.getDirectives().map((d) => d.name),
  sdlMissingFromFile: sdlPrinted.filter(([, text]) => !inFile.has(text)).length,
  extraKinds: [...new Set(printed(file).filter(([, text]) => !inSdl.has(text)).map(([k]) => k))],
  refused,
}));
"""


def test_graphql_js_builds_the_file_and_the_subgraph_sdl_is_in_it(
    node_modules: Path, tmp_path: Path
) -> None:
    answer = build_schema().execute_sync("{ _service { sdl } }")
    assert answer.errors is None and answer.data is not None
    sdl = tmp_path / "sdl.graphql"
    sdl.write_text(answer.data["_service"]["sdl"])
    node = subprocess.run(
        ["node", "--input-type=module", "-e", GRAPHQL_JS, str(SCHEMA_FILE), str(sdl)],
        cwd=node_modules.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert node.returncode == 0, node.stderr
    found = json.loads(node.stdout)
    assert found["types"] > 50
    assert {"link", "key", "shareable"} <= set(found["directives"])
    assert found["sdlMissingFromFile"] == 0
    assert sorted(found["extraKinds"]) == [
        "DirectiveDefinition",
        "EnumTypeDefinition",
        "ScalarTypeDefinition",
    ]
    # What the file adds is what graphql-js needs: composers get the SDL without it.
    assert found["refused"].startswith('Unknown directive "@link".')
