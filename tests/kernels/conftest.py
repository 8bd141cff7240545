"""The MVM test modules (``test_mvm_*.py`` but the fast-vs-reference module) run twice:
on the torch reference and under ``"auto"`` (the compiled CPU path wherever it applies), so
their closed-form and statistical oracles hold both implementations."""

from __future__ import annotations

import pytest

from analogtrain.kernels.update.backend import use_backend

_BOTH_PATHS = ("test_mvm_basic", "test_mvm_converters", "test_mvm_management", "test_mvm_nonideal")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.module.__name__.rsplit(".", 1)[-1] in _BOTH_PATHS:
        metafunc.fixturenames.append("mvm_backend")
        metafunc.parametrize("mvm_backend", ["reference", "auto"], indirect=True)


@pytest.fixture
def mvm_backend(request: pytest.FixtureRequest):
    """The MVM backend of one run of the test (parametrized by ``pytest_generate_tests``)."""
    with use_backend(request.param):
        yield request.param
