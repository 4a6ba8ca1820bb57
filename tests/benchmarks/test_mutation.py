"""The mutation run names modules and test files that exist, so a rename cannot empty it."""

from __future__ import annotations

from tests.benchmarks.mutation import INTEGRATION, MODULES, ROOT, TIMED


def test_every_module_and_test_the_mutation_run_names_exists() -> None:
    for module in MODULES.values():
        assert (ROOT / module.source).is_file(), module.source
        for test in (*module.tests, *INTEGRATION):
            assert (ROOT / test).is_file(), test
    for test in TIMED:
        path, _, name = test.partition("::")
        assert f"def {name}(" in (ROOT / path).read_text(), test
