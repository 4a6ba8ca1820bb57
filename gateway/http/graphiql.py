"""GraphiQL without a CDN: its scripts and styles fetched once with `npm pack` into the data
directory, and served by the gateway itself.

Strawberry's GraphiQL page loads React, GraphiQL and the explorer plugin from unpkg.com, pinned
by version and by a sha384 integrity hash. `gateway graphiql-assets` packs those same versions
from the npm registry, keeps the files the page names, and checks each against the page's hash.
The gateway then serves the page with its addresses pointed at /graphiql-assets/. Without the
files it serves the stock page, which needs the CDN.

Either way the page is the gateway's own in three respects (`gateway_page`): it opens on a
document that explains the x-api-key header, with a query to run, whose lines wrap in the
editor; it leaves GraphiQL's `shouldPersistHeaders` unset, so that headers (the key among them)
are kept in localStorage only once the user turns "Persist headers" on in GraphiQL's settings;
and when its scripts cannot load, it says so and names `gateway graphiql-assets`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from strawberry.http.ides import get_graphql_ide_html

__all__ = [
    "ASSET_ROUTE",
    "WELCOME",
    "Asset",
    "fetch_assets",
    "gateway_page",
    "local_page",
    "page_assets",
]

ASSET_ROUTE = "/graphiql-assets/"
_CDN = "https://unpkg.com/"
# src="https://unpkg.com/react@18.2.0/umd/react.production.min.js" integrity="sha384-..."
_REFERENCE = re.compile(
    r'(?:src|href)="https://unpkg\.com/((?:@[^/@"]+/)?[^/@"]+)@([^/"]+)/([^"]+)"\s*'
    r'integrity="sha384-([^"]+)"'
)


WELCOME = (Path(__file__).parent.parent / "static" / "graphiql-welcome.graphql").read_text("utf-8")
_EXAMPLE_QUERY = re.compile(r"const EXAMPLE_QUERY = `.*?`;", re.DOTALL)
_PERSIST = "shouldPersistHeaders: true,"
_COMPONENT = "function GraphiQLWithExplorer() {"
# GraphiQL's history keeps each run's headers in localStorage whatever shouldPersistHeaders says
# (its tabs and header editor obey it); this storage takes them out of the history it writes
# unless the user turned "Persist headers" on.
_STORAGE = """// Headers (the API key) stay out of localStorage unless the user opts in.
      const headerlessStorage = {
        getItem: (key) => localStorage.getItem(key),
        removeItem: (key) => localStorage.removeItem(key),
        clear: () => Object.keys(localStorage)
          .filter((key) => key.startsWith("graphiql:"))
          .forEach((key) => localStorage.removeItem(key)),
        get length() {
          return Object.keys(localStorage).filter((key) => key.startsWith("graphiql:")).length;
        },
        setItem(key, value) {
          const optedIn = localStorage.getItem("graphiql:shouldPersistHeaders") === "true";
          const name = key.slice("graphiql:".length);
          if (!optedIn && (name === "queries" || name === "favorites")) {
            const stored = JSON.parse(value);
            for (const item of stored[name] || []) delete item.headers;
            value = JSON.stringify(stored);
          }
          localStorage.setItem(key, value);
        },
      };

      """


_STYLE_END = "    </style>"
# Before GraphiQL's scripts: when one cannot load (no internet, the CDN blocked), the page says
# so and how to serve the files from the gateway, instead of "Loading..." for ever. Scripts that
# fail to load fire no event of their own on window, but their error is seen while capturing;
# a page whose scripts all loaded has window.GraphiQL by the load event. The editors wrap their
# lines, so that none of the welcome document's runs past the pane.
_NOTICE = """
      #graphiql.gateway-notice {
        display: block;
        box-sizing: border-box;
        max-width: 46rem;
        margin: 3rem auto;
        padding: 0 1.5rem;
        font: 16px/1.5 system-ui, sans-serif;
        color: #1f2933;
      }
      #graphiql.gateway-notice code {
        background: #eef1f5;
        padding: 0.15rem 0.35rem;
        border-radius: 4px;
        white-space: nowrap;
      }
    </style>
    <script>
      (() => {
        let failed = null;
        const explain = () => {
          const box = document.getElementById("graphiql");
          if (!box || box.dataset.notice) return;
          box.dataset.notice = "shown";
          box.className = "gateway-notice";
          let where = "its CDN";
          try { where = new URL(failed || "", location.href).host || where; } catch (_) {}
          box.innerHTML = `<h1>GraphiQL could not load</h1>
            <p>Its scripts did not load from <strong></strong>: this browser may have no
            internet access, or that address is blocked here. The gateway itself is running,
            and answers queries sent to this address (with an <code>x-api-key</code> header)
            from curl, <code>gateway query</code> or any GraphQL client.</p>
            <p>To serve GraphiQL from the gateway itself, without the CDN, run once, where npm
            can reach its registry and with the same data directory as the gateway
            (<code>--data-dir</code> or <code>GATEWAY_DATA_DIR</code>):</p>
            <p><code>gateway graphiql-assets</code></p>
            <p>then reload this page: a running gateway serves the files it finds.</p>`;
          box.querySelector("strong").textContent = where;
        };
        window.addEventListener("error", (event) => {
          const element = event.target;
          if (element && (element.tagName === "SCRIPT" || element.tagName === "LINK")) {
            failed = element.src || element.href;
            if (element.tagName === "SCRIPT") {
              if (document.readyState === "loading") {
                document.addEventListener("DOMContentLoaded", explain);
              } else {
                explain();
              }
            }
          }
        }, true);
        window.addEventListener("load", () => {
          if (typeof window.GraphiQL === "undefined") explain();
        });
        // GraphiQL's editors (CodeMirror 5) take no wrapping option from the page: each one,
        // as it appears (a new tab makes more), is told to wrap its long lines.
        const wrap = () => {
          for (const node of document.querySelectorAll(".graphiql-container .CodeMirror")) {
            const editor = node.CodeMirror;
            if (editor && !editor.getOption("lineWrapping")) editor.setOption("lineWrapping", true);
          }
        };
        new MutationObserver(wrap).observe(document.documentElement, {
          childList: true,
          subtree: true,
        });
      })();
    </script>"""


@dataclass(frozen=True)
class Asset:
    package: str  # graphiql, @graphiql/plugin-explorer
    version: str
    path: str  # inside the package: umd/react.production.min.js
    sha384: str  # base64, as in the page's integrity attribute

    @property
    def local(self) -> str:
        """Where it lives under the assets directory, and under ASSET_ROUTE."""
        return f"{self.package}@{self.version}/{self.path}"


def page_assets(html: str | None = None) -> list[Asset]:
    """The files the stock GraphiQL page loads from the CDN, with their hashes."""
    page = html if html is not None else get_graphql_ide_html("graphiql")
    return [Asset(*found) for found in _REFERENCE.findall(page)]


def gateway_page(page: str | None = None) -> str:
    """Strawberry's GraphiQL page, opening on the gateway's welcome document and persisting
    headers only when the user asks. A page these edits no longer fit fails loudly (a test
    runs it) rather than serving the stock behaviour."""
    page = page if page is not None else get_graphql_ide_html("graphiql")
    if (
        len(_EXAMPLE_QUERY.findall(page)) != 1
        or page.count(_PERSIST) != 1
        or page.count(_COMPONENT) != 1
        or page.count(_STYLE_END) != 1
    ):
        raise RuntimeError("Strawberry's GraphiQL page changed: gateway_page needs updating")
    page = page.replace(_STYLE_END, _NOTICE)
    # A JSON string is a JavaScript string literal; "</" is escaped so no "</script>" can end it.
    literal = json.dumps(WELCOME).replace("</", "<\\/")
    page = _EXAMPLE_QUERY.sub(lambda _: f"const EXAMPLE_QUERY = {literal};", page)
    page = page.replace(_COMPONENT, _STORAGE + _COMPONENT)
    # Unset (not false): GraphiQL then shows the setting, off until the user turns it on.
    return page.replace(
        _PERSIST,
        "// shouldPersistHeaders unset: off unless the user opts in\n"
        "          storage: headerlessStorage,",
    )


def _digest(data: bytes) -> str:
    return base64.b64encode(hashlib.sha384(data).digest()).decode()


def local_page(directory: Path) -> str | None:
    """The GraphiQL page pointed at the gateway's own copies, when every file is there and
    matches its hash; None otherwise."""
    page = gateway_page()
    assets = page_assets(page)
    if not assets:
        return None
    for asset in assets:
        file = directory / asset.local
        if not file.is_file() or _digest(file.read_bytes()) != asset.sha384:
            return None
    return page.replace(_CDN, ASSET_ROUTE)


def fetch_assets(directory: Path, npm: str = "npm") -> list[Asset]:
    """`npm pack` each package the page names, at its pinned version, and keep the files the
    page loads, each checked against its integrity hash."""
    assets = page_assets()
    packages = sorted({f"{a.package}@{a.version}" for a in assets})
    with tempfile.TemporaryDirectory() as scratch:
        packed = subprocess.run(
            [npm, "pack", "--silent", "--pack-destination", scratch, *packages],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if packed.returncode != 0:
            raise RuntimeError(f"npm pack failed: {packed.stderr.strip()[-500:]}")
        tarballs = [Path(scratch) / name for name in packed.stdout.split()]
        members: dict[str, bytes] = {}
        for tarball, package in zip(tarballs, packages, strict=True):
            with tarfile.open(tarball) as archive:
                for member in archive.getmembers():
                    if member.isfile() and member.name.startswith("package/"):
                        extracted = archive.extractfile(member)
                        if extracted is not None:
                            members[f"{package}/{member.name[len('package/') :]}"] = (
                                extracted.read()
                            )
    for asset in assets:
        data = members.get(asset.local)
        if data is None:
            raise RuntimeError(f"{asset.local} is not in the package npm packed")
        if _digest(data) != asset.sha384:
            raise RuntimeError(f"{asset.local} does not match the page's integrity hash")
        target = directory / asset.local
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return assets
