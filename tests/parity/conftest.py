"""Access to the aihwkit 1.1.0 reference interpreter for the parity tests.

The reference lives in its own virtualenv outside the work tree (built by
``.ci/aihwkit-reference.sh``, which ``.ci/run`` calls; never from the tests, since it
installs packages). It is found through the environment
variable ``AIHWKIT_REF_PYTHON`` or at ``${XDG_CACHE_HOME:-~/.cache}/aihwkit-reference/bin/python``
and must be able to ``import aihwkit.simulator.rpu_base``; otherwise every parity test is
skipped, except when ``ANALOGTRAIN_REQUIRE_REFERENCE=1`` (set by ``.ci/run``): then a
missing or broken reference fails every parity test instead.
aihwkit is never imported into the test process: each test module sends all its cases
to one reference subprocess (``ref_main.py``) and gets raw observations back.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

HERE = Path(__file__).resolve().parent
REFERENCE_ENV = "AIHWKIT_REF_PYTHON"
REQUIRE_ENV = "ANALOGTRAIN_REQUIRE_REFERENCE"
#: seconds allowed for one reference run (import of torch + aihwkit takes a few seconds)
REFERENCE_TIMEOUT = 300


def _reference_candidate() -> Path:
    configured = os.environ.get(REFERENCE_ENV)
    if configured:
        return Path(configured)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "aihwkit-reference" / "bin" / "python"


def _reference_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


def _unavailable(message: str) -> None:
    """Skip, or fail when the reference is required (CI)."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{message} ({REQUIRE_ENV}=1: the parity tests must run)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def aihwkit_python() -> str:
    """Path of the reference interpreter (the test is skipped when it is not usable)."""
    python = _reference_candidate()
    if not python.exists():
        _unavailable(
            f"aihwkit reference interpreter not found at {python} (set {REFERENCE_ENV} or "
            "build it with .ci/aihwkit-reference.sh)"
        )
    probe = subprocess.run(
        [str(python), "-c", "import aihwkit.simulator.rpu_base"],
        capture_output=True,
        text=True,
        env=_reference_env(),
        timeout=REFERENCE_TIMEOUT,
    )
    if probe.returncode != 0:
        tail = probe.stderr.strip().splitlines()[-1:] or ["(no message)"]
        _unavailable(f"aihwkit reference at {python} cannot import rpu_base: {tail[0]}")
    return str(python)


def run_reference(
    python: str, cases: Mapping[str, Mapping[str, Any]], workdir: Path
) -> dict[str, dict[str, np.ndarray]]:
    """Run all ``cases`` in one reference subprocess; results grouped by case name."""
    request = workdir / "request.json"
    result = workdir / "result.npz"
    request.write_text(json.dumps({"cases": cases}))
    proc = subprocess.run(
        [str(python), str(HERE / "ref_main.py"), str(request), str(result)],
        capture_output=True,
        text=True,
        cwd=HERE,
        env=_reference_env(),
        timeout=REFERENCE_TIMEOUT,
    )
    if proc.returncode != 0:
        pytest.fail(f"aihwkit reference run failed (rc {proc.returncode}):\n{proc.stderr[-4000:]}")
    grouped: dict[str, dict[str, np.ndarray]] = {name: {} for name in cases}
    with np.load(result) as data:
        for key in data.files:
            name, _, field = key.partition("::")
            grouped[name][field] = data[key]
    return grouped


@pytest.fixture(scope="module")
def reference_runner(aihwkit_python: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``run(cases) -> results``: one reference subprocess for a module's cases."""

    def run(cases: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, np.ndarray]]:
        return run_reference(aihwkit_python, cases, tmp_path_factory.mktemp("aihwkit"))

    return run


@pytest.fixture(scope="module", autouse=True)
def _single_torch_thread() -> Iterator[None]:
    """Run analogtrain single-threaded here: on the shared 2-core machine the intra-op
    thread pool of small element-wise ops (exp, sin) otherwise waits milliseconds per call."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
