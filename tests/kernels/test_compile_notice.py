"""The one-line notice when a process really compiles numba kernels (cold start, issue 11):
printed once on a compile, not on a load from numba's on-disk cache."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

numba = pytest.importorskip("numba")

from numba.core import event  # noqa: E402

from analogtrain.kernels import compile_notice  # noqa: E402

SRC = str(Path(__file__).resolve().parents[2] / "src")


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setitem(compile_notice._state, "announced", False)


def _module_with_kernel() -> types.ModuleType:
    """A module defining one kernel that no cache holds (calling it compiles)."""
    module = types.ModuleType("notice_case")
    exec(  # noqa: S102 - the kernel must be defined inside the new module
        "import numba\n@numba.njit(cache=False)\ndef add_one(v):\n    return v + 1\n",
        module.__dict__,
    )
    return compile_notice.watch_kernels(module)


def test_a_compile_prints_the_notice_once(fresh, capsys) -> None:
    module = _module_with_kernel()
    assert module.add_one(1) == 2
    assert module.add_one(1.5) == 2.5  # a second specialisation compiles too: no second line
    assert module.add_one(3) == 4
    err = capsys.readouterr().err
    assert err.count(compile_notice.COMPILE_MESSAGE) == 1
    assert compile_notice.compile_announced()


def test_the_listener_is_only_installed_during_a_first_call(fresh) -> None:
    before = list(event._registered.get("numba:compile", []))
    seen = []
    module = _module_with_kernel()
    resolve = module.add_one._compile_for_args

    def spy(*args, **kwargs):
        seen.append(len(event._registered.get("numba:compile", [])))
        return resolve(*args, **kwargs)

    module.add_one._compile_for_args = spy  # called by numba for unseen signatures only
    compile_notice._state["announced"] = False
    module.add_one(1)
    module.add_one(2)
    assert seen == [len(before)]  # once; the watcher's listener sits inside it
    assert list(event._registered.get("numba:compile", [])) == before


def test_imported_kernels_are_not_watched_by_the_importer() -> None:
    module = types.ModuleType("importer_case")
    module.add_one = numba.njit(cache=False)(lambda v: v)  # defined in this test module
    compile_notice.watch_kernels(module)
    assert not getattr(module.add_one, "_analogtrain_watched", False)


_SCRIPT = textwrap.dedent(
    """
    import importlib.util, sys
    from analogtrain.kernels.compile_notice import watch_kernels
    spec = importlib.util.spec_from_file_location("cached_case", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    sys.modules["cached_case"] = module  # a cache load finds the module by name
    spec.loader.exec_module(module)
    watch_kernels(module)
    assert module.twice(21) == 42
    """
)


def test_a_cache_load_prints_nothing(tmp_path) -> None:
    """Two processes call the same ``cache=True`` kernel: the first compiles (notice), the
    second loads it from the cache (no notice)."""
    kernel = tmp_path / "cached_case.py"
    kernel.write_text("import numba\n\n@numba.njit(cache=True)\ndef twice(v):\n    return 2 * v\n")
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": SRC}
    runs = [
        subprocess.run(
            [sys.executable, "-c", _SCRIPT, str(kernel)],
            env=env, capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        for _ in range(2)
    ]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr
    assert runs[0].stderr.count(compile_notice.COMPILE_MESSAGE) == 1
    assert compile_notice.COMPILE_MESSAGE not in runs[1].stderr


def test_the_update_kernels_are_watched_where_they_are_imported() -> None:
    import torch

    from analogtrain.configs import SoftBoundsDevice, UpdateParameters
    from analogtrain.devices import create_device_array
    from analogtrain.kernels.update.cpu import fast_update
    from analogtrain.kernels.update.rule_codegen import generated_kernels
    from analogtrain.kernels.update.rule_inputs import rule_tensors

    kernels = fast_update._kernels()
    assert kernels.bit_masks._analogtrain_watched
    array = create_device_array(SoftBoundsDevice(), 3, 4, torch.Generator().manual_seed(0))
    fast_update.fast_pulsed_update(
        array, torch.ones(2, 4), torch.ones(2, 3), 0.01, 0.001, UpdateParameters(),
        torch.Generator().manual_seed(0),
    )  # fmt: skip
    t = rule_tensors(array)
    module = generated_kernels(t.rule, t.layout, "numba")
    assert module.apply_pulses._analogtrain_watched
    assert module.apply_dense_serial._analogtrain_watched
