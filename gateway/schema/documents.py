"""Documents parsed and checked once per distinct text, kept in a cache bounded in bytes.

Only keyed callers fill the cache: an anonymous client's documents are parsed for its request
alone, so nothing it sends can take room from a tenant's. Entries are keyed by the text itself
(Python keeps a string's hash), never by the parsed document, whose hash walks the whole tree.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from graphql import DocumentNode, GraphQLError, parse

__all__ = ["DocumentStore", "ParseLimits", "Prepared", "parse_within"]

# A parsed document holds some tens of objects per token; what an entry is charged per byte of
# its text, so that the bound in bytes stands for the memory the trees hold.
TREE_BYTES_PER_CHAR = 60


@dataclass(frozen=True)
class ParseLimits:
    """How long a document may be: in tokens, and in characters (the lexer reads a long string
    or comment a character at a time, some half a microsecond each)."""

    max_tokens: int
    max_length: int

    @property
    def options(self) -> dict[str, int]:
        return {"max_tokens": self.max_tokens, "max_source_length": self.max_length}


def parse_within(text: str, limits: ParseLimits) -> DocumentNode:
    """Parse, refusing (as a GraphQLSyntaxError) a document longer than its limits, before
    lexing it or as soon as the lexer reaches too many tokens. graphql-core refuses documents
    nested too deeply the same way."""
    return parse(text, max_tokens=limits.max_tokens, max_source_length=limits.max_length)


@dataclass
class Prepared:
    """A document and, once validated, what validating it found (an empty list: valid)."""

    document: DocumentNode
    errors: list[GraphQLError] | None = None


class DocumentStore:
    """The prepared documents of keyed callers, most recently used kept, bounded in bytes.
    Texts longer than `max_text` are not kept at all: they are rare, and would crowd out many."""

    def __init__(self, max_bytes: int = 32 * 2**20, max_text: int = 16 * 1024) -> None:
        self.max_bytes = max_bytes
        self.max_text = max_text
        self._entries: OrderedDict[str, Prepared] = OrderedDict()
        self._bytes = 0

    def get(self, text: str) -> Prepared | None:
        found = self._entries.get(text)
        if found is not None:
            self._entries.move_to_end(text)
        return found

    def put(self, text: str, prepared: Prepared) -> None:
        if len(text) > self.max_text or text in self._entries:
            return
        self._entries[text] = prepared
        self._bytes += _cost(text)
        while self._bytes > self.max_bytes:
            old, _ = self._entries.popitem(last=False)
            self._bytes -= _cost(old)

    @property
    def size(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)


def _cost(text: str) -> int:
    return 200 + len(text) * TREE_BYTES_PER_CHAR
