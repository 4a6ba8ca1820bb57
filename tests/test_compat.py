"""The gateway reaches the frameworks through their public doors; the few private reads left
live in gateway/http/compat.py and gateway/schema/compat.py, which check the releases they were
written for."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
import strawberry
from graphql import GraphQLResolveInfo
from strawberry.permission import BasePermission

import gateway
from gateway.http import compat as aiohttp_compat
from gateway.schema import compat as strawberry_compat
from gateway.schema.execution import GatewayExecutor

PACKAGE = Path(gateway.__file__).parent


def _own_private_names() -> set[str]:
    """Every _name the gateway defines itself: functions, classes, attributes, keywords."""
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.arg | ast.keyword) and node.arg:
                names.add(node.arg)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names.add(node.value)  # keys of __dict__.setdefault and the like
    return {name for name in names if name.startswith("_")}


def _reaches(path: Path, own: set[str]) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        name = None
        if isinstance(node, ast.Attribute):
            name = node.attr
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"getattr", "hasattr", "setattr"}
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            name = node.args[1].value
        if name is None or not name.startswith("_"):
            continue
        dunder = name.startswith("__") and name.endswith("__")
        if (
            name == "__class__"
            and isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
        ):
            found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} assigns __class__")
        elif not dunder and name not in own and isinstance(node, ast.expr):
            found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {name}")
    return found


def test_no_private_name_of_a_framework_is_read_outside_compat() -> None:
    # argparse names its subcommand action's type privately; it is no framework of the gateway.
    own = _own_private_names() - {"_schema", "_loop", "_kwargs"} | {"_SubParsersAction"}
    reaches = [
        reach
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "compat.py"
        for reach in _reaches(path, own)
    ]
    assert reaches == []


class Deny(BasePermission):
    message = "not for you"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Item:
    name: str
    secret: str = strawberry.field(permission_classes=[Deny])


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return [Item(name="a", secret="kept")]


async def test_a_permission_on_a_plain_field_is_checked_on_the_fast_path() -> None:
    fast = strawberry.Schema(query=Query, execution_context_class=GatewayExecutor)
    result = await fast.execute("{ items { name secret } }")
    assert result.data is None
    assert result.errors is not None and result.errors[0].message == "not for you"
    # Its neighbour without a permission is still completed by the compiled function.
    plain = await fast.execute("{ items { name } }")
    assert plain.data == {"items": [{"name": "a"}]}


def test_the_graphql_core_schema_is_strawberrys_own() -> None:
    schema = strawberry.Schema(query=Query)
    assert strawberry_compat.graphql_schema(schema).query_type is not None


def test_a_strawberry_that_keeps_no_graphql_core_schema_names_the_releases_to_install() -> None:
    class Elsewhere(strawberry.Schema):
        pass

    schema = strawberry.Schema(query=Query)
    moved = Elsewhere.__new__(Elsewhere)
    moved.__dict__.update({k: v for k, v in vars(schema).items() if k != "_schema"})
    with pytest.raises(RuntimeError, match=r"install a release in >=0\.\d+\.0,<0\.\d+\.0"):
        strawberry_compat.graphql_schema(moved)


def test_strawberry_releases_are_supported_from_the_oldest_to_the_bound() -> None:
    low, high = strawberry_compat.SUPPORTED
    oldest = ".".join(map(str, low))
    assert strawberry_compat.supported(oldest)
    assert not strawberry_compat.supported(f"{low[0]}.{low[1] - 1}.9")
    assert strawberry_compat.supported(f"{high[0]}.{high[1] - 1}.99")
    assert not strawberry_compat.supported(".".join(map(str, high)))
    assert strawberry_compat.supported(strawberry_compat.INSTALLED)


def test_an_aiohttp_outside_the_written_for_range_fails_at_import_with_the_range(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    aiohttp_compat._check()  # the installed one
    monkeypatch.setattr(aiohttp_compat, "INSTALLED", "3.14.4")
    aiohttp_compat._check()  # the oldest
    monkeypatch.setattr(aiohttp_compat, "INSTALLED", "3.14.3")
    with pytest.raises(ImportError, match=r"aiohttp 3\.14\.3 .* \(>=3\.14\.4,<4\.0\.0\)"):
        aiohttp_compat._check()
    monkeypatch.setattr(aiohttp_compat, "INSTALLED", "4.0.0")
    with pytest.raises(ImportError, match=r"aiohttp 4\.0\.0"):
        aiohttp_compat._check()


def test_the_oldest_framework_set_ci_runs_is_the_floor_pyproject_allows() -> None:
    root = PACKAGE.parent
    floors = {}
    for requirement in tomllib.loads((root / "pyproject.toml").read_text())["project"][
        "dependencies"
    ]:
        name, _, rest = requirement.partition(">=")
        floors[name] = rest.split(",")[0]
    script = (root / ".ci" / "frameworks").read_text()
    oldest = re.search(r'\[oldest\]="([^"]+)"', script)
    assert oldest is not None
    pins = dict(pin.split("==") for pin in oldest.group(1).split())
    assert set(pins) == {"strawberry-graphql", "graphql-core", "aiohttp"}
    for name, pinned in pins.items():
        assert tuple(map(int, pinned.split("."))) == tuple(
            map(int, (floors[name] + ".0.0").split(".")[:3])
        ), name
    assert ".".join(map(str, strawberry_compat.SUPPORTED[0])) == pins["strawberry-graphql"]
    assert ".".join(map(str, aiohttp_compat.SUPPORTED[0])) == pins["aiohttp"]


@strawberry.type
class Guarded:
    @strawberry.field(permission_classes=[Deny])  # type: ignore[untyped-decorator]
    def secret(self, word: str = "x") -> str:
        return word

    @strawberry.field
    def echo(self, info: strawberry.Info, word: str = "x") -> str:
        return f"{word} from {info.field_name}"


def test_a_resolver_is_called_directly_only_where_strawberrys_wrapper_adds_nothing() -> None:
    schema = strawberry.Schema(query=Guarded)
    query_type = strawberry_compat.graphql_schema(schema).query_type
    assert query_type is not None
    fields, direct = query_type.fields, strawberry_compat.direct_resolver
    assert direct(schema, fields["secret"], None) is None  # a permission: the wrapper calls it
    raw = cast("GraphQLResolveInfo[Any]", SimpleNamespace(field_name="echo"))
    constant = direct(schema, fields["echo"], {"word": "hi"})
    assert constant is not None and constant(None, raw, {}) == "hi from echo"
    varying = direct(schema, fields["echo"], None)  # arguments that hang on variables
    assert varying is not None and varying(None, raw, {"word": "yo"}) == "yo from echo"
