"""Mutation testing of the semantic core: each module's mutants against the tests that exercise it.

    python -m tests.benchmarks.mutation                      # every module, one after another
    python -m tests.benchmarks.mutation --only shape,cost    # some of them
    python -m tests.benchmarks.mutation --survivors          # also list each surviving mutant
    python -m tests.benchmarks.mutation --integration        # with the HTTP and report tests too

Each module runs in a copy of the source tree of its own (build/mutation/<module>), with mutmut
(pinned in the dev extra) told to mutate that one file and to run the test files that import it
or answer through it, on SQLite only (the PostgreSQL runs test the same arithmetic again, and
are far slower). The score printed is raw: killed (or timed out) over all mutants, equivalent
ones included; docs/testing.md lists the survivors with the reason each is left. A module's
directory stays after the run, so that `cd build/mutation/<module> && mutmut show <name>` shows
a survivor's diff. Every module, one after another, took 13 minutes on a 2-core machine shared
with other test runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The integration tests every module of the core answers through (HTTP, execution, the reports,
# limits and admission), added to each module's own with --integration: several times slower,
# for what they add is a second look at rules the module's own tests state one by one.
INTEGRATION = (
    "tests/http/test_http.py",
    "tests/http/test_limits.py",
    "tests/http/test_admission.py",
    "tests/schema/test_execution.py",
    "tests/schema/test_sms_reports.py",
    "tests/schema/test_email_reports.py",
)


INGEST = (
    "tests/providers/native/test_ingest.py",
    "tests/providers/native/test_arrival_order.py",
    "tests/providers/native/test_event_ingest.py",
    "tests/providers/native/test_ingest_batches.py",
)


@dataclass(frozen=True)
class Module:
    source: str
    tests: tuple[str, ...]  # the module's own tests, and those of what folds through it


MODULES: dict[str, Module] = {
    "timewindows": Module(
        "gateway/domain/timewindows.py",
        (
            "tests/domain/test_timewindows.py",
            "tests/domain/test_time_arguments.py",
            "tests/domain/test_properties.py",
        ),
    ),
    "cost": Module(
        "gateway/schema/cost.py",
        (
            "tests/schema/test_cost.py",
            "tests/schema/test_cost_limits.py",
            "tests/schema/test_listed_cost.py",
        ),
    ),
    "shape": Module(
        "gateway/schema/shape.py",
        ("tests/schema/test_shape.py", "tests/schema/test_validation.py"),
    ),
    "intervals": Module(
        "gateway/providers/native/intervals.py",
        ("tests/providers/native/test_intervals.py", "tests/providers/native/test_report_reads.py"),
    ),
    # The provider code that sums and folds what arrives into the rollups.
    "rollups": Module("gateway/providers/native/ingest/rollups.py", INGEST),
    "messages": Module("gateway/providers/native/ingest/messages.py", INGEST),
}

MACHINE_ZONE = "Pacific/Chatham"  # +12:45, +13:45 in its summer

# Tests that time the code against a fixed bound: mutmut's trampolines slow every call of the
# mutated module, so on a busy machine they fail on the unchanged code and mutmut stops there.
TIMED = (
    "tests/schema/test_validation.py::test_merge_pairs_count_fields_sharing_a_path_in_pairs",
    "tests/schema/test_validation.py::test_repeated_fields_over_the_limit_are_refused_fast",
    "tests/schema/test_validation.py::test_doubling_fragments_under_aliases_are_refused_in_linear_time",
)

# Statuses mutmut reports, and whether each counts as the tests catching the mutant.
CAUGHT = {"killed", "timeout", "segfault", "caught by type check"}


def workdir(name: str) -> Path:
    return ROOT / "build" / "mutation" / name


def prepare(name: str, module: Module, integration: bool) -> Path:
    """A fresh copy of the source and tests, whose pyproject.toml tells mutmut what to do."""
    here = workdir(name)
    shutil.rmtree(here, ignore_errors=True)
    here.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "node_modules", "*.pyc")
    for folder in ("gateway", "tests", "examples"):
        shutil.copytree(ROOT / folder, here / folder, ignore=ignore)
    tests = [*module.tests, *INTEGRATION] if integration else list(module.tests)
    settings = (ROOT / "pyproject.toml").read_text()
    settings += (
        "\n[tool.mutmut]\n"
        'source_paths = ["gateway"]\n'
        'also_copy = ["examples"]\n'  # the example queries some tests estimate
        f'only_mutate = ["{module.source}"]\n'
        f"pytest_add_cli_args_test_selection = {tests!r}\n"
        # One process per mutant (mutmut's children are the parallelism); SQLite only.
        'pytest_add_cli_args = ["-n", "0", "-p", "no:cacheprovider", "-k", "not postgresql"'
        + "".join(f', "--deselect", "{test}"' for test in TIMED)
        + "]\n"
        "use_git_change_detection = false\n"
    ).replace("'", '"')
    (here / "pyproject.toml").write_text(settings)
    return here


def statuses(here: Path) -> dict[str, str]:
    listing = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        cwd=here,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = {}
    for line in listing.splitlines():
        key, _, status = line.strip().rpartition(": ")
        if key:
            found[key] = status
    return found


def run(
    name: str, module: Module, children: int, survivors: bool, integration: bool
) -> tuple[int, int, float]:
    here = prepare(name, module, integration)
    began = time.monotonic()
    # The machine's zone far from UTC: a mutant that reads or gives an instant in the machine's
    # zone instead of the request's, or instead of UTC, looks right on a machine in UTC.
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "TZ": MACHINE_ZONE}
    with (here / "mutmut.log").open("w") as log:
        ran = subprocess.run(
            [sys.executable, "-m", "mutmut", "run", "--max-children", str(children)],
            cwd=here,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if ran.returncode != 0:
        print(f"{name}: mutmut failed, see {here / 'mutmut.log'}", flush=True)
    took = time.monotonic() - began
    found = statuses(here)
    caught = sum(status in CAUGHT for status in found.values())
    counts = Counter(found.values())
    score = caught / len(found) * 100 if found else 0.0
    print(
        f"{name:12} {len(found):4} mutants {caught:4} caught {score:5.1f}%"
        f"  ({', '.join(f'{s} {n}' for s, n in sorted(counts.items()))}; {took / 60:.1f} min)",
        flush=True,
    )
    if survivors:
        for key, status in sorted(found.items()):
            if status not in CAUGHT:
                print(f"    {key}: {status}", flush=True)
    return len(found), caught, took


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(MODULES), help="modules, comma-separated")
    parser.add_argument("--children", type=int, default=2, help="mutants run at once")
    parser.add_argument("--survivors", action="store_true", help="list every survivor")
    parser.add_argument(
        "--integration", action="store_true", help="add the HTTP and report tests to each module"
    )
    args = parser.parse_args(argv)
    names = [name for name in args.only.split(",") if name]
    unknown = [name for name in names if name not in MODULES]
    if unknown:
        parser.error(f"unknown modules {unknown}; known: {', '.join(MODULES)}")
    for name in names:
        run(name, MODULES[name], args.children, args.survivors, args.integration)


if __name__ == "__main__":
    main()
