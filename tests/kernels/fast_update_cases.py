"""Device cases and statistics shared by the tests that hold the fast update paths (numba
on the CPU, Triton on CUDA) to the reference."""

from __future__ import annotations

import math

import torch

import analogtrain.configs as cfgs

NO_DTOD = dict(dw_min_dtod=0.0, up_down_dtod=0.0, w_max_dtod=0.0, w_min_dtod=0.0)

# One config per scalar rule of the fast path (and per noise/reference flavour).
MODELS = {
    "constant": lambda **k: cfgs.ConstantStepDevice(**k),
    "linear_mult": lambda **k: cfgs.LinearStepDevice(gamma_up=0.5, gamma_down=0.3, **k),
    "linear_add": lambda **k: cfgs.LinearStepDevice(gamma_up=0.5, mult_noise=False, **k),
    "soft_bounds": lambda **k: cfgs.SoftBoundsDevice(**k),
    "sb_reference": lambda **k: cfgs.SoftBoundsReferenceDevice(**{"reference_std": 0.1, **k}),
    "sb_reference_mult": lambda **k: cfgs.SoftBoundsReferenceDevice(mult_noise=True, **k),
    "exp_step": lambda **k: cfgs.ExpStepDevice(**k),
    "exp_step_complex": lambda **k: cfgs.ExpStepDevice(
        dw_min_std_add=0.002, dw_min_std_slope=0.5, **k
    ),
    "pow_step": lambda **k: cfgs.PowStepDevice(pow_gamma=2.0, **k),
    "pow_step_reference": lambda **k: cfgs.PowStepReferenceDevice(**{"reference_std": 0.1, **k}),
    "piecewise": lambda **k: cfgs.PiecewiseStepDevice(
        piecewise_up=[2.0, 1.0, 0.5, 0.2], piecewise_down=[0.3, 0.6, 1.0, 2.0], **k
    ),
}


def z_mean_and_var(a: torch.Tensor, b: torch.Tensor) -> tuple[float, float]:
    """z scores of the differences of the means and of the variances of two i.i.d. samples."""
    a, b = a.double().flatten().cpu(), b.double().flatten().cpu()
    n_a, n_b = a.numel(), b.numel()
    se_mean = math.sqrt(a.var() / n_a + b.var() / n_b)
    sq_a, sq_b = (a - a.mean()) ** 2, (b - b.mean()) ** 2
    se_var = math.sqrt(sq_a.var() / n_a + sq_b.var() / n_b)
    z_mean = float(a.mean() - b.mean()) / max(se_mean, 1e-12)
    z_var = float(sq_a.mean() - sq_b.mean()) / max(se_var, 1e-15)
    return z_mean, z_var
