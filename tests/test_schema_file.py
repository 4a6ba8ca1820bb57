from __future__ import annotations

from pathlib import Path

from gateway.schema import build_schema
from gateway.schema.sdl import schema_file_sdl

SCHEMA_FILE = Path(__file__).parent.parent / "schema.graphql"


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
    assert missing == []
