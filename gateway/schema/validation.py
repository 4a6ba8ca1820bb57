"""Validation with the operation limits, kept per document.

GraphQL's rule that fields of one response name must merge compares such fields pairwise, and
the fields beneath them again: a document that repeats a field (or nests repeats) costs time in
the square of its repeats, half a second for a few thousand tokens. So before the rules run, the
pairs that merging would compare are counted, cheaply, and a document with too many is refused.

Strawberry's depth and alias limiters make a new rule class for every request, which would
defeat any cache keyed by the rules; here the rule classes are made once, with the schema, and
the outcome of validating a document is kept (the documents themselves are kept by
DocumentCache, so the same text is the same document).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from functools import lru_cache

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

__all__ = ["LimitedValidation", "merge_pairs", "validate_kept"]

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


def _validate(
    schema: GraphQLSchema, document: DocumentNode, rules: Rules, max_merge_pairs: int
) -> list[GraphQLError]:
    pairs = merge_pairs(document)
    if pairs > max_merge_pairs:
        refusal = BadUserInput(
            f"the document repeats fields so often that merging them takes {pairs} comparisons,"
            f" over the limit of {max_merge_pairs}; ask for each field once",
            limit="maxMergePairs",
            mergePairs=pairs,
            maxMergePairs=max_merge_pairs,
        )
        return [GraphQLError(refusal.message, original_error=refusal)]
    return validate_document(schema, document, rules)


# Each document's outcome, for as long as DocumentCache keeps the document itself.
validate_kept = lru_cache(maxsize=512)(_validate)
_cached_validate = validate_kept


class LimitedValidation(SchemaExtension):
    """Validate with `rules` besides the standard ones, after the merge-pairs check; `cache`
    keeps each document's outcome."""

    def __init__(self, rules: Rules, max_merge_pairs: int, *, cache: bool) -> None:
        self.rules = rules
        self.max_merge_pairs = max_merge_pairs
        self.validate = validate_kept if cache else _validate

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            context.pre_execution_errors = self.validate(
                context.schema._schema,
                context.graphql_document,
                (*context.validation_rules, *self.rules),
                self.max_merge_pairs,
            )
        yield
