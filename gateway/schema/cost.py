"""An operation's estimated cost, refused above a limit before anything runs.

Every field costs 1, and a list multiplies what is selected inside it by the number of items it
may hold: the page a `first`, `last` or `limit` argument asks for, or the size written below for
lists whose length the schema itself bounds (each such bound is enforced where the list is made:
a top N, or a cap past which the field answers TOO_MANY_RESULTS). `_entities` costs, for each
representation, what its selection costs on the representation's own type. A field over a
window of days (a period, pastDays, or a startDate/endDate range) costs its days besides, for
it folds each day's buckets, once per channel it compares; and the per-day lists beneath it
hold that many days. Introspection counts like any field, its lists sized by what the schema
holds (the type count, the fields per type on average, ...), so that the estimate of a schema
query is about the size of its answer.

The estimate needs the variables, so it is made as execution starts, once per operation; the
operations of one batched request share one budget. Each selection set is estimated once per
parent type and window, however often fragments spread it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_list_type,
    value_from_ast,
)
from graphql.pyutils import Undefined
from strawberry.extensions import SchemaExtension

from gateway.domain.auth import ALL_SCOPES
from gateway.domain.billing import CREDIT_PRODUCTS_TOP
from gateway.domain.email import LINK_ACTIVITY_TOP
from gateway.errors import BadUserInput
from gateway.schema.bounds import Bounds
from gateway.schema.compat import graphql_schema
from gateway.schema.sms import MAX_EXPORT_ROWS

if TYPE_CHECKING:
    from gateway.schema.context import GatewayContext

__all__ = [
    "LIST_SIZES",
    "PAGE_ARGUMENTS",
    "CostLimiter",
    "TooManyRepresentations",
    "list_sizes",
    "operation_cost",
    "selects_capped_lists",
]

# Arguments that say how many items a field returns; their value is capped at the largest page
# any field allows, so that an out-of-range page gets that field's own error, not this one.
PAGE_ARGUMENTS = ("first", "last", "limit")
MAX_PAGE = 100

# How many items each list of the schema may hold at most: each bound is kept where the list is
# made. A test checks that every list field of the schema is named here or sized by a page
# argument; the deprecated unpaged `numbers` is sized by what it will hold (list_sizes).
LIST_SIZES: Mapping[str, int] = {
    "BestSendTimes.byHour": 24,
    "BestSendTimes.byDayOfWeek": 7,
    "BillingStatus.availableCreditProducts": CREDIT_PRODUCTS_TOP,
    "CampaignConnection.edges": 1,  # sized by the connection's `first` or `last`
    "WhatsAppNumberConnection.edges": 1,  # likewise
    "ChannelComparison.days": 366,
    "ChannelComparison.channels": 3,
    "ChannelDelivery.series": 366,
    "EmailCampaign.engagement": 31,
    "EmailCampaignReport.linkActivity": LINK_ACTIVITY_TOP,
    "EmailReports.histogram": 90,
    "NumberDashboard.series": 90,
    "SmsAnalytics.trends": 366,
    "SmsAnalytics.campaignExport": MAX_EXPORT_ROWS,
    "Viewer.scopes": len(ALL_SCOPES),
}
# Lists answered whole up to a cap that a setting moves (past it, TOO_MANY_RESULTS).
CAPPED_LISTS = ("Query.numbers", "Organization.numbers")


def list_sizes(bounds: Bounds, listed: int | None = None) -> Mapping[str, int]:
    """LIST_SIZES with the capped lists at what they will hold for the caller: `listed`, the
    numbers it may see (counted before the estimate), up to the cap; the cap when not counted."""
    cap = bounds.max_listed_numbers
    held = cap if listed is None else max(0, min(listed, cap))
    return {**LIST_SIZES, **dict.fromkeys(CAPPED_LISTS, held)}


DEFAULT_LIST_SIZE = 20

# The window's days above a selection (None outside any), and how many ofType levels deep it is.
Scope = tuple[int | None, int]

# Lists of one item per local day (or hour) of the window above them.
DAILY_LISTS = frozenset(
    {
        "NumberDashboard.series",
        "ChannelComparison.days",
        "ChannelDelivery.series",
        "SmsAnalytics.trends",
        "EmailReports.histogram",
        "EmailCampaign.engagement",
    }
)
# Fields that fold their window once per channel.
CHANNELS = {"Query.deliveryByChannel": 3}
WINDOW_ARGUMENTS = ("period", "pastDays", "startDate", "endDate")
DEFAULT_RANGE_DAYS = 30
MAX_RANGE_DAYS = 366
# EmailCampaign.engagement's points, by its period.
ENGAGEMENT_POINTS = {"HOURS_24": 24, "WEEK": 7, "MONTH": 30}


@lru_cache(maxsize=8)
def max_wrapping(schema: GraphQLSchema) -> int:
    """The most list and non-null wrappers around any field's or argument's type."""

    def depth(type_: Any) -> int:
        return 1 + depth(type_.of_type) if hasattr(type_, "of_type") else 0

    deepest = 0
    for type_ in schema.type_map.values():
        for field in getattr(type_, "fields", {}).values():
            deepest = max(deepest, depth(field.type))
            for argument in getattr(field, "args", {}).values():
                deepest = max(deepest, depth(argument.type))
    return deepest


@lru_cache(maxsize=8)
def introspection_sizes(schema: GraphQLSchema) -> Mapping[str, float]:
    """The introspection lists' sizes as this schema answers them, on average per item (so a
    type's fields, multiplied by the types, come to the schema's fields)."""
    types = list(schema.type_map.values())
    objects = [t for t in types if isinstance(t, (GraphQLObjectType, GraphQLInterfaceType))]
    fields = [field for type_ in objects for field in type_.fields.values()]
    inputs = [t for t in types if isinstance(t, GraphQLInputObjectType)]
    enums = [t for t in types if isinstance(t, GraphQLEnumType)]
    abstract = [t for t in types if isinstance(t, (GraphQLInterfaceType, GraphQLUnionType))]
    directives = list(schema.directives)

    def mean(total: int, over: int) -> float:
        return total / max(over, 1)

    return {
        "__Schema.types": len(types),
        "__Schema.directives": len(directives),
        "__Type.fields": mean(len(fields), len(types)),
        "__Type.inputFields": mean(sum(len(t.fields) for t in inputs), len(types)),
        "__Type.enumValues": mean(sum(len(t.values) for t in enums), len(types)),
        "__Type.interfaces": mean(sum(len(t.interfaces) for t in objects), len(types)),
        "__Type.possibleTypes": mean(
            sum(len(schema.get_possible_types(t)) for t in abstract), len(types)
        ),
        "__Field.args": mean(sum(len(f.args) for f in fields), len(fields)),
        "__Directive.args": mean(sum(len(d.args) for d in directives), len(directives)),
        "__Directive.locations": mean(sum(len(d.locations) for d in directives), len(directives)),
    }


def _is_list(type_: GraphQLOutputType) -> bool:
    return is_list_type(get_nullable_type(type_))


class _Estimate:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: dict[str, Any],
        bounds: Bounds,
        listed: int | None = None,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.bounds = bounds
        self.sizes = list_sizes(bounds, listed)
        self.representations = 0  # sent to the operation's _entities calls so far
        self.introspection = introspection_sizes(schema)
        self._known: dict[tuple[int, str, Scope], float] = {}
        self.max_wrapping = max_wrapping(schema)

    def selections(
        self, selection_set: SelectionSetNode | None, parent: Any, scope: Scope
    ) -> float:
        """What a selection set costs on `parent`; on an interface or union, what it costs on the
        dearest of the object types it may turn out to be."""
        if selection_set is None:
            return 0
        if isinstance(parent, (GraphQLInterfaceType, GraphQLUnionType)):
            possible = self.schema.get_possible_types(parent)
            return max((self.on_object(selection_set, t, scope) for t in possible), default=0)
        return self.on_object(selection_set, parent, scope)

    def on_object(self, selection_set: SelectionSetNode, parent: Any, scope: Scope) -> float:
        key = (id(selection_set), parent.name, scope)
        if key in self._known:
            return self._known[key]
        total = 0.0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, scope)
                continue
            if isinstance(selection, InlineFragmentNode):
                condition, inner = selection.type_condition, selection.selection_set
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:  # validation has refused unknown fragments already
                    continue
                condition, inner = fragment.type_condition, fragment.selection_set
            else:
                continue
            if condition is None or self.applies(condition.name.value, parent):
                total += self.on_object(inner, parent, scope)
        self._known[key] = total
        return total

    def applies(self, condition: str, parent: Any) -> bool:
        """Whether a fragment on `condition` applies to an object of type `parent`."""
        type_ = self.schema.get_type(condition)
        if type_ is None or type_ is parent:
            return type_ is not None
        return isinstance(
            type_, (GraphQLInterfaceType, GraphQLUnionType)
        ) and self.schema.is_sub_type(type_, parent)

    def field(self, node: FieldNode, parent: Any, scope: Scope) -> float:
        name = node.name.value
        if name == "__typename":
            return 1
        definition = self.definition(parent, name)
        if definition is None:
            return 0
        coordinate = f"{parent.name}.{name}"
        days, wrapped = scope
        if coordinate == "__Type.ofType":
            # A type reference unwraps at most as often as the schema wraps a type: deeper,
            # ofType is null and what it selects costs nothing.
            if wrapped >= self.max_wrapping:
                return 1
            wrapped += 1
        else:
            wrapped = 0
        own = self.window(node, definition, coordinate)
        if own is not None:
            days = own
        inner_scope = (days, wrapped)
        if coordinate == "Query._entities":
            return 1 + self.entities(node, definition, inner_scope)
        inner = self.selections(node.selection_set, get_named_type(definition.type), inner_scope)
        work = 0 if own is None else own * CHANNELS.get(coordinate, 1)
        return 1 + work + self.size(node, definition, coordinate, days) * inner

    def entities(self, node: FieldNode, definition: GraphQLField, scope: Scope) -> float:
        """Each representation at what the selection costs on its own type (an unknown type,
        answered by an error, at 1). More of them than one operation may resolve (its calls
        together, so that aliases do not multiply the bound) is refused here, before anything
        runs, whether they came as a literal or in variables."""
        given = self.argument(node, definition, "representations") or ()
        representations = given if isinstance(given, list) else [given]
        self.representations += len(representations)
        most = self.bounds.max_representations
        if self.representations > most:
            raise TooManyRepresentations(
                f"_entities was sent {self.representations} representations in one operation,"
                f" over the limit of {most}; send them in operations of {most} at most",
                limit="maxRepresentations",
                max=most,
            )
        by_type = Counter(
            r.get("__typename") if isinstance(r, dict) else None for r in representations
        )
        total = 0.0
        for type_name, count in by_type.items():
            type_ = self.schema.get_type(type_name) if isinstance(type_name, str) else None
            each = 0.0
            if isinstance(type_, GraphQLObjectType) and node.selection_set is not None:
                each = self.on_object(node.selection_set, type_, scope)
            total += count * max(each, 1)
        return total

    def definition(self, parent: Any, name: str) -> GraphQLField | None:
        if parent is self.schema.query_type and name in _ROOT_INTROSPECTION:
            return _ROOT_INTROSPECTION[name]
        fields = getattr(parent, "fields", None)
        return None if fields is None else fields.get(name)

    def size(
        self, node: FieldNode, definition: GraphQLField, coordinate: str, days: int | None
    ) -> float:
        pages = [argument for argument in PAGE_ARGUMENTS if argument in definition.args]
        if pages:  # the one given (a connection takes first or last), else the default page
            given = [a for a in pages if self.argument(node, definition, a) is not None]
            return max((self.page(node, definition, a) for a in given), default=DEFAULT_LIST_SIZE)
        if not _is_list(definition.type):
            return 1
        if coordinate in DAILY_LISTS and days is not None:
            return days
        if coordinate in self.introspection:
            return self.introspection[coordinate]
        return self.sizes.get(coordinate, DEFAULT_LIST_SIZE)

    def window(self, node: FieldNode, definition: GraphQLField, coordinate: str) -> int | None:
        """The days (or, for engagement, the points) a windowed field folds; None for others."""
        given = [a for a in WINDOW_ARGUMENTS if a in definition.args]
        if not given:
            return None
        period = self.argument(node, definition, "period") if "period" in given else None
        if coordinate == "EmailCampaign.engagement":
            return ENGAGEMENT_POINTS.get(_enum_name(period), 30)
        if period is not None:
            return _period_days(period)
        if "pastDays" in given:
            past = self.argument(node, definition, "pastDays")
            days = past if isinstance(past, int) and not isinstance(past, bool) else 90
            # A dashboard compares the window with the one before it.
            return max(1, min(days, 90)) * (2 if coordinate == "EmailReports.dashboard" else 1)
        start = self.argument(node, definition, "startDate")
        end = self.argument(node, definition, "endDate")
        return _range_days(start, end, coordinate)

    def argument(self, node: FieldNode, definition: GraphQLField, argument: str) -> Any:
        """The argument's value as given (literal or variable), else its default."""
        value: Any = Undefined
        for given in node.arguments or ():
            if given.name.value == argument:
                value = value_from_ast(given.value, definition.args[argument].type, self.variables)
        if value is Undefined:
            value = definition.args[argument].default_value
        return None if value is Undefined else value

    def page(self, node: FieldNode, definition: GraphQLField, argument: str) -> int:
        value = self.argument(node, definition, argument)
        if not isinstance(value, int) or isinstance(value, bool):
            return DEFAULT_LIST_SIZE
        return max(0, min(value, MAX_PAGE))


_ROOT_INTROSPECTION = {"__schema": SchemaMetaFieldDef, "__type": TypeMetaFieldDef}


def _enum_name(value: object) -> str:
    return str(getattr(value, "name", value))


def _period_days(period: object) -> int:
    digits = re.search(r"\d+", _enum_name(period)) or re.search(r"\d+", str(period))
    return int(digits.group()) if digits else 90


def _range_days(start: object, end: object, coordinate: str) -> int:
    """The local days between two ISO dates or datetimes as given, a partial last day included;
    a range the field will refuse, or one it cannot read here, counts as the longest allowed."""
    default = 90 if coordinate == "SmsAnalytics.bestSendTimes" else DEFAULT_RANGE_DAYS
    if start is None and end is None:
        return default
    try:
        first = date.fromisoformat(str(start)[:10]) if start is not None else None
        last = date.fromisoformat(str(end)[:10]) if end is not None else None
    except ValueError:
        return MAX_RANGE_DAYS
    if first is None or last is None:
        return default
    partial = len(str(end)) > 10 or len(str(start)) > 10
    return max(1, min((last - first).days + partial, MAX_RANGE_DAYS))


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None = None,
    variables: dict[str, Any] | None = None,
    bounds: Bounds | None = None,
    listed: int | None = None,
) -> int:
    """The estimated cost of the operation that would run (0 when there is none to run), its
    capped lists at `listed` items up to their cap (at the cap when None);
    TooManyRepresentations when an `_entities` call is sent more than `bounds` allow."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    root = schema.get_root_type(operation.operation)
    estimate = _Estimate(schema, fragments, variables or {}, bounds or Bounds(), listed)
    return math.ceil(estimate.selections(operation.selection_set, root, (None, 0)) - 1e-9)


def selects_capped_lists(document: DocumentNode) -> bool:
    """Whether any operation or fragment of the document selects a field named as a capped list
    is (the schema has no other field of those names), so that what the list holds for the
    caller must be counted before the estimate. Read from the text alone, so that it is safe on
    a document not yet validated (a cycle of fragments, say)."""
    names = {coordinate.split(".")[1] for coordinate in CAPPED_LISTS}
    pending: list[SelectionSetNode] = [
        definition.selection_set
        for definition in document.definitions
        if isinstance(definition, (OperationDefinitionNode, FragmentDefinitionNode))
    ]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode) and selection.name.value in names:
                return True
            inner = getattr(selection, "selection_set", None)
            if inner is not None:
                pending.append(inner)
    return False


class TooManyRepresentations(BadUserInput):
    """An operation's `_entities` calls were sent more representations than it may resolve."""


class CostLimiter(SchemaExtension):
    """Refuse, before it runs, an operation whose estimated cost is over `max_cost`, or over
    what the request's earlier operations left of it (`cost_left` on the context, which the view
    sets for the operations of one HTTP request), or one with an `_entities` call over its
    bound of representations."""

    def __init__(self, *, max_cost: int, bounds: Bounds | None = None) -> None:
        self.max_cost = max_cost
        self.bounds = bounds or Bounds()

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and context.result is None:
            try:
                cost = operation_cost(
                    graphql_schema(context.schema),
                    context.graphql_document,
                    context.operation_name,
                    context.variables,
                    self.bounds,
                    getattr(context.context, "listed_numbers", None),
                )
            except TooManyRepresentations as refusal:
                error = GraphQLError(refusal.message, original_error=refusal)
                context.result = ExecutionResult(data=None, errors=[error])
                yield
                return
            gateway: GatewayContext | None = context.context
            left = None if gateway is None else gateway.cost_left
            allowed = self.max_cost if left is None else min(left, self.max_cost)
            if cost > allowed:
                context.result = ExecutionResult(data=None, errors=[self._refusal(cost, left)])
            elif gateway is not None and left is not None:
                gateway.cost_left = left - cost
        yield

    def _refusal(self, cost: int, left: int | None) -> GraphQLError:
        if cost > self.max_cost or left is None:
            message = (
                f"the operation's estimated cost is {cost}, over the limit of"
                f" {self.max_cost}; ask for smaller pages or fewer fields"
            )
        else:
            message = (
                f"the operation's estimated cost is {cost}, over the {left} that the request's"
                f" other operations left of the limit of {self.max_cost}; send fewer at once"
            )
        refusal = BadUserInput(message, limit="maxCost", cost=cost, maxCost=self.max_cost)
        return GraphQLError(refusal.message, original_error=refusal)
