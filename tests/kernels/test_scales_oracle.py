"""Pulse-train scales against hand-computed values (spec single-tile 4.3, 4.4).

An oracle independent of :func:`analogtrain.kernels.update.scales.sample_scales`: every
expected ``(BL, A, B)`` below is worked out by hand in its comment; both the torch reference
(:func:`~analogtrain.kernels.update.pulses.update_scales`) and the compiled CPU kernel that
derive from the one definition must reproduce it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from analogtrain.configs.update import UpdateParameters
from analogtrain.kernels.update.pulses import update_scales
from analogtrain.kernels.update.scales import scale_parameters

_NO_MANAGEMENT = {"update_management": False, "update_bl_management": False}

# (name, x, d, lr, g, update parameters, expected BL, A, B); the inputs (float32) and most
# rates and granularities are binary fractions, so that k = lr xm dm / g is exact
G = 1 / 1024
CASES = [
    # no management, fixed BL 20: A = B = sqrt(lr / (g BL)) = sqrt(0.01 / 0.02) = sqrt(1/2)
    ("fixed_bl", [1.0, 0.5], [0.25], 0.01, 0.001,
     dict(_NO_MANAGEMENT, desired_bl=20), 20, math.sqrt(0.5), math.sqrt(0.5)),
    # no management, variable BL: g BL = 10 g < lr = 50 g, so BL = ceil(lr / g) = 50, A = B = 1
    ("long_train", [1.0], [1.0], 50 * G, G,
     dict(_NO_MANAGEMENT, fixed_bl=False, desired_bl=10), 50, 1.0, 1.0),
    # UM only: xm = 0.5, dm = 0.125, BL = desired_bl = 31, base sqrt(0.01 / 0.031);
    # A = base sqrt(0.5 / 0.125) = 2 base, B = base sqrt(0.125 / 0.5) = base / 2
    ("um_only", [0.5, -0.25], [0.03125, -0.125], 0.01, 0.001,
     {"update_bl_management": False}, 31, 2 * math.sqrt(0.01 / 0.031),
     0.5 * math.sqrt(0.01 / 0.031)),
    # UBLM: xm = 0.75, dm = 0.5, lr = 16 g: k = 16 * 0.375 = 6, BL = 6, base sqrt(16 / 6);
    # A = base sqrt(0.75 / 0.5) = sqrt(4) = 2, B = base sqrt(0.5 / 0.75) = sqrt(16 / 9) = 4/3
    ("ublm", [0.75, 0.125], [0.5], 16 * G, G, {}, 6, 2.0, 4 / 3),
    # UBLM saturating: xm = dm = 1, lr = 128 g: k = 128 > 31, BL = 31, dm <- 31 / 128;
    # A = sqrt(128 / 31) sqrt(128 / 31) = 128 / 31, B = sqrt(128 / 31) sqrt(31 / 128) = 1
    ("ublm_saturated", [1.0, -0.5], [1.0], 128 * G, G, {}, 31, 128 / 31, 1.0),
    # um_grad_scale 2: dm = 2 * 0.125 = 0.25, lr = 2 g: k = 2 * 0.25 = 0.5, BL = 1,
    # base sqrt(2); A = sqrt(2) sqrt(1 / 0.25) = 2 sqrt(2), B = sqrt(2) sqrt(0.25) = sqrt(2) / 2
    ("grad_scale", [1.0], [0.125, 0.0625], 2 * G, G, {"um_grad_scale": 2.0}, 1,
     2 * math.sqrt(2), math.sqrt(2) / 2),
    # a negative rate pulses the other way but has the scales of |lr| (the "ublm" case)
    ("negative_lr", [0.75, 0.125], [0.5], -16 * G, G, {}, 6, 2.0, 4 / 3),
    # no input: no train
    ("no_input", [0.0, 0.0], [0.5], 16 * G, G, {}, 0, 0.0, 0.0),
]  # fmt: skip


def _compiled(x, d, lr, g, up):  # type: ignore[no-untyped-def]
    pytest.importorskip("numba")
    from analogtrain.kernels.update.cpu.numba_kernels import update_scales as compiled

    rates = lr.numpy() if isinstance(lr, torch.Tensor) else np.full(x.shape[0], float(lr))
    scalar_lr = not isinstance(lr, torch.Tensor)
    return compiled(x.numpy(), d.numpy(), rates, scalar_lr, g, *scale_parameters(up))


def _torch(x, d, lr, g, up):  # type: ignore[no-untyped-def]
    return tuple(t.numpy() for t in update_scales(x, d, lr, g, up))


@pytest.mark.parametrize("path", [_torch, _compiled], ids=["torch", "numba"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_scales_equal_the_hand_computed_values(case, path) -> None:
    _, x, d, lr, g, params, bl, a, b = case
    up = UpdateParameters(**params)
    got_bl, got_a, got_b = path(torch.tensor([x]), torch.tensor([d]), lr, g, up)
    assert got_bl.tolist() == [bl]
    assert got_a[0] == pytest.approx(a, rel=1e-12, abs=0.0)
    assert got_b[0] == pytest.approx(b, rel=1e-12, abs=0.0)


@pytest.mark.parametrize("path", [_torch, _compiled], ids=["torch", "numba"])
def test_per_sample_rates_take_each_samples_hand_computed_scales(path) -> None:
    """Rates [16 g, 0, 128 g] on the "ublm", a zero-rate and the "ublm_saturated" sample."""
    x = torch.tensor([[0.75, 0.125], [0.75, 0.125], [1.0, -0.5]])
    d = torch.tensor([[0.5], [0.5], [1.0]])
    lr = torch.tensor([16 * G, 0.0, 128 * G], dtype=torch.float64)
    bl, a, b = path(x, d, lr, G, UpdateParameters())
    assert bl.tolist() == [6, 0, 31]
    np.testing.assert_allclose(a, [2.0, 0.0, 128 / 31], rtol=1e-12, atol=0.0)
    np.testing.assert_allclose(b, [4 / 3, 0.0, 1.0], rtol=1e-12, atol=0.0)
