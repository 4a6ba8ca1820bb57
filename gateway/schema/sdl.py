"""The schema file: the subgraph SDL with the definitions it leaves to federation tools."""

from __future__ import annotations

from graphql import is_specified_directive, print_directive
from strawberry import Schema

from gateway.schema.compat import graphql_schema

__all__ = ["schema_file_sdl"]

# The definitions as the link spec (v1.0) and federation v2.0 give them, the version the
# subgraph declares: Apollo's composition checks a subgraph's definitions against its own, so
# Strawberry's (`_FieldSet`, a repeatable @shareable) would not do for a file that is
# published to a registry as the subgraph's schema.
SPEC_DEFINITIONS = {
    "link": (
        "directive @link(url: String, as: String, for: link__Purpose, import: [link__Import])"
        " repeatable on SCHEMA",
        "scalar link__Import",
        "enum link__Purpose {\n  SECURITY\n  EXECUTION\n}",
    ),
    "key": (
        "directive @key(fields: federation__FieldSet!, resolvable: Boolean = true)"
        " repeatable on OBJECT | INTERFACE",
        "scalar federation__FieldSet",
    ),
    "shareable": ("directive @shareable on OBJECT | FIELD_DEFINITION",),
}


def schema_file_sdl(schema: Schema) -> str:
    """The subgraph SDL (what `_service { sdl }` answers) followed by the definitions of the
    directives it applies and of the scalars and enums they take. Composers know those
    definitions and do without them in `_service`; graphql-js `buildSchema` and the tools built
    on it need them to read the file at all."""
    definitions: list[str] = []
    sdl = schema.as_str()
    for directive in sorted(graphql_schema(schema).directives, key=lambda d: d.name):
        # The SDL defines some itself (@defer and @stream, which the subgraph executes).
        if is_specified_directive(directive) or f"directive @{directive.name}(" in sdl:
            continue
        # One missing above is printed as Strawberry defines it; the tests say if tools take it.
        for definition in SPEC_DEFINITIONS.get(directive.name, (print_directive(directive),)):
            if definition not in definitions:
                definitions.append(definition)
    return "\n\n".join([sdl, *definitions])
