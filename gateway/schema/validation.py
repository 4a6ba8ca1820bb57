"""Validation within the operation limits, kept per document.

GraphQL's rule that fields of one response name must merge compares such fields pairwise, and
the fields beneath them again: a document that repeats a field (or nests repeats) costs time in
the square of its repeats, half a second for a few thousand tokens. So before the rules run, the
pairs that merging would compare are counted, cheaply, and a document with too many is refused.

Before that, the document's shape (fields, depth and aliases with its fragments spread out) is
measured reading each fragment once (gateway.schema.shape): Strawberry's own depth and alias
limiters walk every spread of every fragment, 2^18 walks for a kilobyte of doubling fragments.
Only a document within the shape's limits is walked by anything else, merge_pairs included.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from gateway.errors import BadUserInput
from gateway.schema.compat import graphql_schema
from gateway.schema.documents import DocumentStore
from gateway.schema.extensions import keyed
from gateway.schema.shape import ShapeLimits, check_shape, document_shape

__all__ = ["LimitedValidation", "merge_pairs", "validate_within"]

Rules = tuple[type[ASTValidationRule], ...]
Path = tuple[str, ...]


def merge_pairs(document: DocumentNode) -> int:
    """How many pairs of fields validation would compare, about: the fields that share a path
    of response names from an operation's root, in pairs (n fields at one path: n(n-1)/2)."""
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    known: dict[str, Counter[Path]] = {}
    visiting: set[str] = set()

    def paths(selection_set: SelectionSetNode) -> Counter[Path]:
        counts: Counter[Path] = Counter()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = (selection.alias or selection.name).value
                counts[(name,)] += 1
                if selection.selection_set is not None:
                    for path, n in paths(selection.selection_set).items():
                        counts[(name, *path)] += n
            elif isinstance(selection, InlineFragmentNode):
                counts.update(paths(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is None or name in visiting:
                    continue  # unknown or cyclic: validation reports it
                if name not in known:
                    visiting.add(name)
                    known[name] = paths(fragment.selection_set)
                    visiting.discard(name)
                counts.update(known[name])
        return counts

    total = 0
    for definition in document.definitions:
        if isinstance(definition, (OperationDefinitionNode, FragmentDefinitionNode)):
            total += sum(n * (n - 1) // 2 for n in paths(definition.selection_set).values())
    return total


def validate_within(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: Rules,
    shape_limits: ShapeLimits,
    max_merge_pairs: int,
) -> list[GraphQLError]:
    """Validation's findings, or the first limit the document is over. The shape is measured
    first, in time linear in the text, so that nothing after it walks more than the limits
    allow."""
    refusal = check_shape(document_shape(document), shape_limits)
    if refusal is None:
        pairs = merge_pairs(document)
        if pairs > max_merge_pairs:
            refusal = BadUserInput(
                f"the document repeats fields so often that merging them takes {pairs}"
                f" comparisons, over the limit of {max_merge_pairs}; ask for each field once",
                limit="maxMergePairs",
                mergePairs=pairs,
                maxMergePairs=max_merge_pairs,
            )
    if refusal is not None:
        return [GraphQLError(refusal.message, original_error=refusal)]
    return validate_document(schema, document, rules)


class LimitedValidation(SchemaExtension):
    """Validate within the shape and merge-pairs limits; a keyed caller's outcome is kept with
    its document in `store`, so a repeated document is validated once."""

    def __init__(
        self, shape_limits: ShapeLimits, max_merge_pairs: int, store: DocumentStore | None
    ) -> None:
        self.shape_limits = shape_limits
        self.max_merge_pairs = max_merge_pairs
        self.store = store

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            prepared = None
            if self.store is not None and context.query is not None and keyed(context.context):
                prepared = self.store.get(context.query)
                if prepared is not None and prepared.document is not document:
                    prepared = None
            if prepared is not None and prepared.errors is not None:
                context.pre_execution_errors = prepared.errors
            else:
                errors = validate_within(
                    graphql_schema(context.schema),
                    document,
                    tuple(context.validation_rules),
                    self.shape_limits,
                    self.max_merge_pairs,
                )
                context.pre_execution_errors = errors
                if prepared is not None:
                    prepared.errors = errors
        yield
