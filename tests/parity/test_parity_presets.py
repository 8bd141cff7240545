"""Every preset's fields equal the aihwkit reference's (1.1.0 venv), field by field.

Both sides are flattened to ``{dotted.path: value}`` by the same function
(:mod:`ref_presets`); fields present in both libraries must be equal (floats to 1e-12
relative), and the field sets must be the same, so a field added on one side only fails
too.
"""

from __future__ import annotations

import json
import math
import subprocess
from typing import Any

import pytest
from ref_presets import flatten

from analogtrain import presets as p
from conftest import HERE, REFERENCE_TIMEOUT, _reference_env

NAMES = [name for name in p.__all__ if name[0].isupper() and name not in {"COMPOUND_PRESETS"}]
NAMES = [n for n in NAMES if isinstance(getattr(p, n), type) and n != "DEVICE_NAMES"]

#: Presets built on another configuration class than aihwkit's: aihwkit's
#: FloatingPointPreset is an inference configuration (noise model, clip, remap, drift
#: compensation, a perfect forward), ours a FloatingPointRPUConfig; only the shared fields
#: (mapping, pre_post, runtime) are compared.
OTHER_CONFIG_CLASS = {"FloatingPointPreset"}
#: Fields new in aihwkit 1.2.0, absent from the 1.1.0 reference.
NEW_IN_120 = {"scale_fast_lr"}


@pytest.fixture(scope="module")
def reference(aihwkit_python: str) -> dict[str, Any]:
    proc = subprocess.run(
        [aihwkit_python, str(HERE / "ref_presets.py"), *NAMES],
        capture_output=True,
        text=True,
        cwd=HERE,
        env=_reference_env(),
        timeout=REFERENCE_TIMEOUT,
    )
    if proc.returncode != 0:
        pytest.fail(f"reference preset dump failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
    return a == b


@pytest.mark.parametrize("name", NAMES)
def test_preset_fields_equal_the_reference(name: str, reference: dict[str, Any]) -> None:
    theirs = reference[name]
    if theirs is None:
        pytest.skip(f"{name} is not defined by the reference version")
    ours = flatten(getattr(p, name)())
    mismatched = {
        k: (ours[k], theirs[k])
        for k in ours.keys() & theirs.keys()
        if not k.endswith("<class>") and not _same(ours[k], theirs[k])
    }
    if name in OTHER_CONFIG_CLASS:
        assert set(mismatched) == {"tile_class"}
        assert not [k for k in ours.keys() - theirs.keys() if not k.startswith("device.")]
        return
    assert mismatched == {}
    assert {
        k for k in ours.keys() - theirs.keys() if k.rsplit(".", 1)[-1] not in NEW_IN_120
    } == set()
    assert theirs.keys() - ours.keys() == set()
