"""How many numbers the deprecated unpaged `numbers` will hold for a caller, known before the
cost estimate prices it: the estimate then follows the tenant, not the cap."""

from __future__ import annotations

from collections import OrderedDict

from graphql import DocumentNode, GraphQLError

from gateway.domain.auth import KeyKind
from gateway.domain.numbers import NumberPageRequest
from gateway.schema.context import GatewayContext
from gateway.schema.cost import selects_capped_lists
from gateway.schema.documents import DocumentStore, ParseLimits, Prepared, parse_within

__all__ = ["ListedCounts"]

KEPT = 512  # documents remembered as selecting `numbers` or not, as many as are kept
MAX_TEXT = 16 * 1024  # longer texts, rare, are read again rather than kept (as DocumentStore)


class ListedCounts:
    """Each tenant's count of numbers (native and upstream-source ones alike: the store
    registers both), kept while the tenant's data version stands, so that a count costs one
    indexed COUNT per tenant per change of its data; and which operations need it at all."""

    def __init__(
        self,
        parsing: ParseLimits,
        documents: DocumentStore | None = None,
        max_tenants: int = 10_000,
    ) -> None:
        self.parsing = parsing
        self.documents = documents
        self.max_tenants = max_tenants
        self._counts: OrderedDict[str, tuple[int, int]] = OrderedDict()
        # By the text of the query, whose hash a str keeps.
        self._selects: dict[str, bool] = {}

    async def prepare(self, query: str | None, context: object) -> None:
        """Set the context's `listed_numbers` for this operation: what `numbers` will hold for
        the caller when the document selects it, else None (the list is then priced at its
        cap, which only a caller without a key meets). A store that cannot count raises its
        typed StoreUnavailable."""
        if not isinstance(context, GatewayContext):
            return
        context.listed_numbers = None
        if context.caller is None or not query:
            return
        if self.selects(query, context):
            context.listed_numbers = await self.count(context)

    def selects(self, query: str, context: GatewayContext) -> bool:
        known = self._selects.get(query)
        if known is None:
            document = self._document(query, context)
            if document is None:  # Strawberry answers the syntax error; nothing is estimated
                return False
            known = selects_capped_lists(document)
            if len(query) <= MAX_TEXT:
                if len(self._selects) >= KEPT:
                    self._selects.clear()
                self._selects[query] = known
        return known

    async def count(self, context: GatewayContext) -> int:
        principal = context.principal
        if principal.kind is KeyKind.NUMBER:
            return 0 if principal.number_id is None else 1
        tenant_id = principal.tenant_id
        # Read before counting: a count racing a change is kept under the version it missed.
        version = None if context.versions is None else context.versions.version(tenant_id)
        kept = self._counts.get(tenant_id)
        if kept is not None and version is not None and kept[0] == version:
            self._counts.move_to_end(tenant_id)
            return kept[1]
        request = NumberPageRequest(tenant_id=tenant_id, size=1)
        counted = await context.registry.numbers_provider().count_numbers(request)
        if version is not None:
            self._counts[tenant_id] = (version, counted)
            self._counts.move_to_end(tenant_id)
            while len(self._counts) > self.max_tenants:
                self._counts.popitem(last=False)
        return counted

    def _document(self, query: str, context: GatewayContext) -> DocumentNode | None:
        prepared = None if self.documents is None else self.documents.get(query)
        if prepared is not None:
            return prepared.document
        document = context.parsed.get(query)
        if document is not None:
            return document
        try:  # within the limits Strawberry's parse will apply, which then answers any refusal
            document = parse_within(query, self.parsing)
        except GraphQLError:
            return None
        if self.documents is not None:  # kept as DocumentCache would keep it: parsed once
            self.documents.put(query, Prepared(document))
        return document
