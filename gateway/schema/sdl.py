"""The schema file: the subgraph SDL with the definitions it leaves to federation tools."""

from __future__ import annotations

from graphql import (
    GraphQLNamedType,
    TypeDefinitionNode,
    get_named_type,
    is_specified_directive,
    is_specified_scalar_type,
    parse,
    print_directive,
    print_type,
)
from strawberry import Schema

__all__ = ["schema_file_sdl"]


def schema_file_sdl(schema: Schema) -> str:
    """The subgraph SDL (what `_service { sdl }` answers) followed by the definitions of the
    directives it applies (`@link`, `@key`, `@shareable`) and of the scalars and enums their
    arguments take. Composers know those definitions and want them left out of `_service`;
    graphql-js `buildSchema` and the tools built on it need them to read the file at all."""
    sdl = schema.as_str()
    graph = schema._schema
    printed = {
        node.name.value for node in parse(sdl).definitions if isinstance(node, TypeDefinitionNode)
    }
    directives = [d for d in graph.directives if not is_specified_directive(d)]
    missing: dict[str, GraphQLNamedType] = {}
    for directive in directives:
        for argument in directive.args.values():
            named = get_named_type(argument.type)
            if named.name not in printed and not is_specified_scalar_type(named):
                missing[named.name] = named
    definitions = [print_directive(d) for d in sorted(directives, key=lambda d: d.name)]
    definitions += [print_type(missing[name]) for name in sorted(missing)]
    return "\n\n".join([sdl, *definitions])
