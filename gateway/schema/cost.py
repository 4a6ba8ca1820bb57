"""An operation's estimated cost, refused above a limit before anything runs.

Every field costs 1, and a list multiplies what is selected inside it by the number of items it
may hold: the page a `first` or `limit` argument asks for, or the size written below for lists
whose length the schema itself bounds. Introspection fields cost nothing (they read the schema,
not the data). The estimate needs the variables, so it is made as execution starts, once per
request; a document too costly for any variables is still parsed and validated only once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_list_type,
    value_from_ast,
)
from graphql.pyutils import Undefined
from strawberry.extensions import SchemaExtension

from gateway.errors import BadUserInput

__all__ = ["LIST_SIZES", "PAGE_ARGUMENTS", "CostLimiter", "list_fields", "operation_cost"]

# Arguments that say how many items a field returns; their value is capped at the largest page
# any field allows, so that an out-of-range page gets that field's own error, not this one.
PAGE_ARGUMENTS = ("first", "limit")
MAX_PAGE = 100

# How many items each list of the schema may hold, at most or as commonly asked for. A test
# checks that every list field of the schema is named here or sized by a page argument.
LIST_SIZES: Mapping[str, int] = {
    "BestSendTimes.byHour": 24,
    "BestSendTimes.byDayOfWeek": 7,
    "BillingStatus.availableCreditProducts": 10,
    "CampaignConnection.edges": 1,  # sized by the connection's `first`
    "ChannelComparison.days": 366,
    "ChannelComparison.channels": 3,
    "ChannelDelivery.series": 366,
    "EmailCampaign.engagement": 31,
    "EmailCampaignReport.linkActivity": 20,
    "EmailReports.histogram": 90,
    "NumberDashboard.series": 90,
    "Query.numbers": 20,
    "Organization.numbers": 20,
    "SmsAnalytics.trends": 366,
    "SmsAnalytics.campaignExport": 100,
    "Viewer.scopes": 3,
}
DEFAULT_LIST_SIZE = 20


def list_fields(schema: GraphQLSchema) -> Iterator[tuple[str, GraphQLField]]:
    """Every field of an object type whose type is a list, as ("Type.field", field)."""
    for type_name, type_ in schema.type_map.items():
        if type_name.startswith("__") or not isinstance(type_, GraphQLObjectType):
            continue
        for name, field in type_.fields.items():
            if _is_list(field.type):
                yield f"{type_name}.{name}", field


def _is_list(type_: GraphQLOutputType) -> bool:
    return is_list_type(get_nullable_type(type_))


class _Estimate:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def selections(self, selection_set: SelectionSetNode | None, parent: Any) -> int:
        """What a selection set costs on `parent`; on an interface or union, what it costs on the
        dearest of the object types it may turn out to be."""
        if selection_set is None:
            return 0
        if isinstance(parent, (GraphQLInterfaceType, GraphQLUnionType)):
            possible = self.schema.get_possible_types(parent)
            return max((self.on_object(selection_set, type_) for type_ in possible), default=0)
        return self.on_object(selection_set, parent)

    def on_object(self, selection_set: SelectionSetNode, parent: Any) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent)
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
                total += self.on_object(inner, parent)
        return total

    def applies(self, condition: str, parent: Any) -> bool:
        """Whether a fragment on `condition` applies to an object of type `parent`."""
        type_ = self.schema.get_type(condition)
        if type_ is None or type_ is parent:
            return type_ is not None
        return isinstance(
            type_, (GraphQLInterfaceType, GraphQLUnionType)
        ) and self.schema.is_sub_type(type_, parent)

    def field(self, node: FieldNode, parent: Any) -> int:
        name = node.name.value
        if name.startswith("__") or not isinstance(parent, GraphQLObjectType):
            return 0
        definition = parent.fields.get(name)
        if definition is None:
            return 0
        inner = self.selections(node.selection_set, get_named_type(definition.type))
        return 1 + self.size(node, definition, f"{parent.name}.{name}") * inner

    def size(self, node: FieldNode, definition: GraphQLField, coordinate: str) -> int:
        if coordinate == "Query._entities":  # one entity per representation sent
            return len(self.argument(node, definition, "representations") or ())
        for argument in PAGE_ARGUMENTS:
            if argument in definition.args:
                return self.page(node, definition, argument)
        if not _is_list(definition.type):
            return 1
        return LIST_SIZES.get(coordinate, DEFAULT_LIST_SIZE)

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


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None = None,
    variables: dict[str, Any] | None = None,
) -> int:
    """The estimated cost of the operation that would run (0 when there is none to run)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    root = schema.get_root_type(operation.operation)
    return _Estimate(schema, fragments, variables or {}).selections(operation.selection_set, root)


class CostLimiter(SchemaExtension):
    """Refuse, before it runs, an operation whose estimated cost is over `max_cost`."""

    def __init__(self, *, max_cost: int) -> None:
        self.max_cost = max_cost

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and context.result is None:
            cost = operation_cost(
                context.schema._schema,
                context.graphql_document,
                context.operation_name,
                context.variables,
            )
            if cost > self.max_cost:
                refusal = BadUserInput(
                    f"the operation's estimated cost is {cost}, over the limit of"
                    f" {self.max_cost}; ask for smaller pages or fewer fields",
                    limit="maxCost",
                    cost=cost,
                    maxCost=self.max_cost,
                )
                error = GraphQLError(refusal.message, original_error=refusal)
                context.result = ExecutionResult(data=None, errors=[error])
        yield
