"""Strawberry's internals the gateway relies on, in one place, against the tested releases.

The gateway's own validation, cost analysis, trusted-document checks, SDL file and lean
pipeline run graphql-core over the schema Strawberry built; Strawberry keeps it in
`Schema._schema` (its own printer reads it there too). The execution plans call a field's
resolver as Strawberry's own wrapper does (`direct_resolver`), through
`strawberry.schema.schema_converter.get_arguments`, `StrawberryField.get_result` and the
converter's field exception handlers. This module is the one place that reads either. At
import it checks the Strawberry release against the range the gateway is tested with; outside
that range it still works while `_schema` holds a graphql-core schema, and says clearly which
releases are supported as soon as it does not.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from enum import Enum
from importlib.metadata import version
from typing import Any

from graphql import GraphQLField, GraphQLResolveInfo, GraphQLSchema
from strawberry.schema.base import BaseSchema
from strawberry.schema.schema_converter import GraphQLCoreConverter, get_arguments
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField

__all__ = ["SUPPORTED", "DirectResolver", "direct_resolver", "graphql_schema", "supported"]

# (source, graphql-core's info, the field's arguments as graphql-core coerced them) -> result
DirectResolver = Callable[[Any, GraphQLResolveInfo[Any], dict[str, Any]], Any]
# Converted argument values a resolver may be handed again and again (it cannot change them).
_IMMUTABLE = (str, int, float, bool, Enum, type(None))

# The releases .ci/frameworks runs the framework tests on: the oldest, and the newest below.
SUPPORTED = ((0, 330, 0), (0, 342, 0))  # from the first, up to the second excluded


def _release(text: str) -> tuple[int, ...]:
    parts = []
    for part in text.split(".")[:3]:
        digits = "".join(c for c in part if c.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def supported(release: str) -> bool:
    """Whether the gateway is tested with Strawberry `release`."""
    low, high = SUPPORTED
    return low <= _release(release) < high


def _range() -> str:
    low, high = SUPPORTED
    return f">={'.'.join(map(str, low))},<{'.'.join(map(str, high))}"


INSTALLED = version("strawberry-graphql")
if not supported(INSTALLED):
    warnings.warn(
        f"strawberry-graphql {INSTALLED} is outside the releases the gateway is tested with"
        f" ({_range()})",
        RuntimeWarning,
        stacklevel=2,
    )


def graphql_schema(schema: BaseSchema) -> GraphQLSchema:
    """The graphql-core schema Strawberry built for `schema`."""
    built = getattr(schema, "_schema", None)
    if not isinstance(built, GraphQLSchema):
        raise RuntimeError(
            f"strawberry-graphql {INSTALLED} no longer keeps its graphql-core schema where the"
            f" gateway reads it; install a release in {_range()}"
        )
    return built


def direct_resolver(
    schema: BaseSchema, field: GraphQLField, constant: dict[str, Any] | None
) -> DirectResolver | None:
    """The field's resolver, called as Strawberry's wrapper calls it when the field has no
    extension (a permission is one) and no exception handler: its Info, its arguments
    converted to their Python types (once, when `constant` holds values that hang on no
    variable and convert to immutable ones), the source as self, root or parent where the
    resolver asks. Without the wrapper's closures, reduce over no extensions and extra
    coroutine, and without converting constant arguments (naming each one anew) for every
    request. None for any other field: the plan then calls the wrapper."""
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    converter = getattr(schema, "schema_converter", None)
    if not isinstance(definition, StrawberryField) or not isinstance(
        converter, GraphQLCoreConverter
    ):
        return None
    resolver = definition.base_resolver
    if resolver is None or definition.extensions:
        return None
    if converter._get_field_exception_handlers(definition):
        return None
    config, scalars, info_class = (
        converter.config,
        converter.scalar_registry,
        converter.config.info_class,
    )
    converted: dict[str, Any] | None = None
    if constant is not None:
        converted = convert_arguments(constant, definition.arguments, scalars, config)
        if not all(isinstance(v, _IMMUTABLE) for v in converted.values()):
            converted = None
    self_parameter = resolver.self_parameter is not None
    source_names = [p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p]
    info_name = resolver.info_parameter.name if resolver.info_parameter else None

    def call(source: Any, raw: GraphQLResolveInfo[Any], arguments: dict[str, Any]) -> Any:
        info = info_class(_raw_info=raw, _field=definition)
        if converted is None:
            args, kwargs = get_arguments(
                field=definition,
                source=source,
                info=info,
                kwargs=arguments,
                config=config,
                scalar_registry=scalars,
            )
            return definition.get_result(source, info=info, args=args, kwargs=kwargs)
        kwargs = dict(converted)
        for name in source_names:
            kwargs[name] = source
        if info_name is not None:
            kwargs[info_name] = info
        args = [source] if self_parameter else []
        return definition.get_result(source, info=info, args=args, kwargs=kwargs)

    return call
