"""What SIGHUP reloads: the sources file (upstream sources and which tenant's data lives where)
and the trusted documents' manifest, as one configuration swapped whole.

A reload reads and validates both files completely, opens the new sources' sessions and
registers their numbers, and only then replaces the one reference every request reads. A
request takes that reference once (`configuration_of`), so one that started before the swap
finishes on the old configuration; the old sessions close once the longest request deadline
has passed. A file that cannot be used is refused with one log line, and the old configuration
stays. Credentials are read from the environment, which a running process cannot be given
anew: a reload can name a variable that was set when the gateway started, not a new one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass

from gateway.config.settings import Settings
from gateway.config.sources import SourcesConfig, SourcesError, load_sources
from gateway.platforms import Platforms, load_platforms
from gateway.platforms.sources import platform_providers
from gateway.providers.base import Provider, ProviderRegistry
from gateway.providers.native.store import Store
from gateway.providers.native.tenancy import Tenancy
from gateway.providers.upstream import NumberKeys
from gateway.providers.versions import TenantVersions
from gateway.schema.trusted import ManifestError, TrustedDocuments, trusted_documents

__all__ = [
    "Configuration",
    "Files",
    "LiveConfiguration",
    "read_files",
    "sync_upstream_numbers",
]

log = logging.getLogger("gateway.http.reload")

# Beyond the request deadline, before a replaced configuration's sessions close.
RETIRE_GRACE_SECONDS = 1.0

# The sources file, the credentials it names by (tenant, source or phone), the trusted documents.
Files = tuple[SourcesConfig, dict[tuple[str, str], str], TrustedDocuments]


@dataclass(frozen=True)
class Configuration:
    """One generation of what the files say: the providers and routes, each upstream source's
    cache life, and the trusted documents."""

    registry: ProviderRegistry
    source_ttls: Mapping[str, float]
    trusted: TrustedDocuments
    tenants: frozenset[str]  # the tenants the sources file names
    generation: int = 1


class LiveConfiguration:
    """The configuration in use, and how to build and swap in the next one; open as a context
    (the first configuration built from files read before start-up), closed with the app."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        native: Provider,
        versions: TenantVersions,
        files: Files,
        platforms: Platforms | None = None,
    ) -> None:
        self.settings, self.store, self.native, self.versions = settings, store, native, versions
        # Loaded once per process: a reload reads the files again, not the installed packages.
        self.platforms = load_platforms() if platforms is None else platforms
        self._files: Files | None = files
        self.current: Configuration | None = None
        self._stacks: list[AsyncExitStack] = []
        self._retiring: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()
        self._closed = False
        # A request holding the old registry spends at most its deadline on upstream calls.
        self.retire_after = settings.request_deadline_seconds + RETIRE_GRACE_SECONDS

    async def __aenter__(self) -> LiveConfiguration:
        assert self._files is not None
        self.current = await self._build(self._files, 1)
        self._files = None
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def in_use(self) -> Configuration:
        assert self.current is not None, "the configuration is built as the app starts"
        return self.current

    async def reload(self) -> bool:
        """Read both files again and swap them in; False (logged once) when either is bad."""
        async with self._lock:
            if self._closed:  # the app is stopping: nothing new is opened
                return False
            old = self.in_use
            try:
                new = await self._build(
                    read_files(self.settings, self.platforms), old.generation + 1
                )
            except (SourcesError, ManifestError, OSError) as problem:
                log.error("reload refused, the configuration in use is kept: %s", problem)
                return False
            except Exception as problem:  # the store away while numbers are registered, say
                log.error("reload failed, the configuration in use is kept: %r", problem)
                return False
            self.current = new
            # Answers cached for a tenant the files name may have come from a source that moved.
            for tenant in old.tenants | new.tenants:
                self.versions.invalidate(tenant)
            old_stack = self._stacks.pop(0)
            retire = asyncio.create_task(self._retire(old_stack))
            self._retiring.add(retire)
            retire.add_done_callback(self._retiring.discard)
        log.info(
            "reloaded: configuration %d, sources %s, %d trusted documents",
            new.generation,
            ", ".join(new.registry.names),
            len(new.trusted.bodies),
        )
        return True

    async def close(self) -> None:
        self._closed = True
        for task in list(self._retiring):
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        while self._stacks:
            await self._stacks.pop().aclose()

    async def _build(self, files: Files, generation: int) -> Configuration:
        config, secrets, trusted = files
        stack = AsyncExitStack()
        try:
            number_keys = await sync_upstream_numbers(Tenancy(self.store), config, secrets)
            upstream = await stack.enter_async_context(
                platform_providers(config, secrets, number_keys, self.platforms)
            )
        except BaseException:
            await stack.aclose()
            raise
        self._stacks.append(stack)
        routes = {t: {"sms": s.sms, "email": s.email} for t, s in config.tenants.items()}
        return Configuration(
            registry=ProviderRegistry({"native": self.native, **upstream}, routes),
            source_ttls={n: s.cache_ttl_seconds for n, s in config.sources.items()},
            trusted=trusted,
            tenants=frozenset(config.tenants),
            generation=generation,
        )

    async def _retire(self, stack: AsyncExitStack) -> None:
        try:
            await asyncio.sleep(self.retire_after)
        finally:  # at once when the app stops first
            await stack.aclose()


def read_files(settings: Settings, platforms: Platforms | None = None) -> Files:
    """The sources file, the credentials it names and the trusted documents, each validated
    whole (each source against its installed platform's model), or SourcesError /
    ManifestError saying why not."""
    platforms = load_platforms() if platforms is None else platforms
    config, secrets = load_sources(settings.sources_file, platforms=platforms)
    return config, secrets, trusted_documents(settings)


async def sync_upstream_numbers(
    tenancy: Tenancy, config: SourcesConfig, secrets: dict[tuple[str, str], str]
) -> NumberKeys:
    """Register the numbers the sources file puts upstream, so that ids, keys and lists treat
    them like any other; answer each one's credentials by source."""
    keys: NumberKeys = {}
    for tenant, spec in config.tenants.items():
        if await tenancy.tenant_name(tenant) is None:
            await tenancy.create_tenant(tenant, tenant)
        for number in spec.numbers:
            record = await tenancy.add_number(tenant, number.phone, number.name, number.source)
            keys.setdefault(number.source, {})[tenant, record.id] = (
                secrets[tenant, number.phone],
                number.key_id_env is not None,
            )
    return keys
