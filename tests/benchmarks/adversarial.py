"""Attacks: the worst /healthz wait while each kind of attack runs against a live gateway.

    python -m tests.benchmarks.adversarial                     # every attack
    python -m tests.benchmarks.adversarial --only fragments,tokens

The gateway is `gateway serve` on the demo store, one process, as a user starts it. The probe
asks /healthz again as soon as it answers; its worst wait during an attack, beside its worst wait
with nobody attacking (measured just before each attack, in the same run, with the round trip
of a cheap request), is how long the attack held the event loop. Answers are summed up by status
and first error code.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gateway.domain.auth import KeyKind, default_scopes
from gateway.providers.native import open_store
from gateway.providers.native.demo import DEMO_TENANT
from gateway.providers.native.tenancy import Tenancy
from tests.adversarial.attacks import (
    ATTACKS,
    Baseline,
    Outcome,
    Probe,
    Target,
    keys_for_subscriptions,
    measure_calm,
    run_attack,
)
from tests.support.live import LiveGateway, start_gateway

DEMO_NUMBER = "+5511955550101"  # the demo tenant's first number

# Short enough for the slow-client attack to see connections closed while it holds them.
# Below the demo tenant's four numbers, so that the deprecated `numbers` is over its cap.
ENV = {
    "GATEWAY_HEADER_TIMEOUT_SECONDS": "5",
    "GATEWAY_RATE_LIMIT": "50",
    "GATEWAY_MAX_LISTED_NUMBERS": "3",
}


def webhook_source(data_dir: Path, platform: str = "pilotstatus") -> tuple[str, str]:
    created = subprocess.run(
        [sys.executable, "-m", "gateway", "webhooks", "create", "--tenant", "demo",
         "--platform", platform],
        env={**os.environ, "GATEWAY_DATA_DIR": str(data_dir)},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    source = json.loads(created.stdout)
    return source["name"], source["secret"]


def subscription_keys(data_dir: Path, count: int) -> list[str]:
    """`count` number-scoped keys of the demo tenant's first number, made in one go in the
    store the gateway serves (in a thread: the caller may be running a loop already)."""

    async def make() -> list[str]:
        store = await open_store(data_dir / "gateway.sqlite3", create=False)
        try:
            tenancy = Tenancy(store)
            number = await tenancy.find_number(DEMO_TENANT, DEMO_NUMBER)
            assert number is not None
            scopes = default_scopes(KeyKind.NUMBER)
            return [
                (
                    await tenancy.create_key(
                        DEMO_TENANT, KeyKind.NUMBER, scopes, number_id=number.id
                    )
                ).key
                for _ in range(count)
            ]
        finally:
            await store.close()

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, make()).result()


def target_of(gateway: LiveGateway, data_dir: Path) -> Target:
    target = Target(
        base=f"http://127.0.0.1:{gateway.port}",
        number_key=gateway.keys["number"],
        tenant_key=gateway.keys["tenant"],
        webhook=webhook_source(data_dir),
        billing_webhook=webhook_source(data_dir, "messagesender"),
        pid=gateway.process.pid,
        metrics=gateway.metrics_url,
    )
    count = keys_for_subscriptions(target.tenant_subscriptions)
    target.subscription_keys = subscription_keys(data_dir, count)
    return target


def summary(outcome: Outcome) -> str:
    counts = Counter(f"{status} {code or 'ok'}" for status, code in outcome.answers)
    return ", ".join(f"{n}x {what}" for what, n in counts.most_common(4))


def report(name: str, outcome: Outcome, calm: Baseline) -> None:
    measured = " ".join(f"{k.replace(' ', '_')}={v:,.0f}" for k, v in outcome.measured.items())
    print(
        f"{name:16} worst_healthz_ms={outcome.worst_probe_ms:9,.1f}"
        f" median_ms={outcome.median_probe_ms:7.1f}"
        f" ratio_to_calm={outcome.worst_probe_ms / max(calm.worst_ms, 1.0):8.1f}"
        f" seconds={outcome.seconds:6.1f}  [{summary(outcome)}] {measured}\n"
        f"{'':16} ({calm})",
        flush=True,
    )


async def run(names: list[str], hold: float) -> None:
    with tempfile.TemporaryDirectory(prefix="gateway-adversarial-") as tmp:
        data_dir = Path(tmp)
        gateway = start_gateway(data_dir, env=ENV)
        try:
            target = target_of(gateway, data_dir)
            # Both keys known to the gateway first, as after any real use: a key it has not seen
            # yet is looked up only while its address may still make mistakes.
            for key in (target.number_key, target.tenant_key):
                gateway.query(key, "{ __typename }")
            target.hold = hold
            probe = Probe(target.base)
            await asyncio.to_thread(probe.start)
            try:
                for name in names:
                    calm = await measure_calm(target, probe)
                    outcome = await run_attack(name, target, calm, probe)
                    report(name, outcome, calm)
                    if gateway.process.poll() is not None:
                        print("the gateway exited", file=sys.stderr)
                        break
            finally:
                await asyncio.to_thread(probe.stop)
        finally:
            gateway.stop()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", help="comma-separated attack names", default=",".join(ATTACKS))
    parser.add_argument("--hold", type=float, default=12.0, help="seconds slow clients hold on")
    args = parser.parse_args(argv)
    names = [name for name in args.only.split(",") if name]
    unknown = set(names) - set(ATTACKS)
    if unknown:
        parser.error(f"unknown attacks: {', '.join(sorted(unknown))}; known: {', '.join(ATTACKS)}")
    asyncio.run(run(names, args.hold))


if __name__ == "__main__":
    main()
