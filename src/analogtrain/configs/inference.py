"""Weight clip, modifier and remap parameters (spec single-tile 5.2-5.4).

These belong to aihwkit's inference (hardware-aware training) configuration; no training
configuration carries them, but they exist so that scripts and saved configs port.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analogtrain.configs.base import ConfigBase
from analogtrain.configs.enums import WeightClipType, WeightModifierType, WeightRemapType

__all__ = ["WeightClipParameter", "WeightModifierParameter", "WeightRemapParameter"]


@dataclass
class WeightClipParameter(ConfigBase):
    """Clip the weights after every optimizer step.

    Attributes:
        fixed_value: clip bound for FIXED_VALUE, and upper cap of the data-dependent bounds
            (``<= 0``: no cap).
        sigma: LAYER_GAUSSIAN clips at ``sigma`` standard deviations of the weights.
        type: which clipping rule (none by default).
    """

    fixed_value: float = -1.0
    sigma: float = 2.5
    type: WeightClipType = WeightClipType.NONE


@dataclass
class WeightModifierParameter(ConfigBase):
    """A perturbed copy of the weights used for the forward/backward passes.

    Attributes:
        std_dev: noise strength relative to the weight range ``m``.
        per_batch_sample: a new perturbation per batch sample (not supported by aihwkit's
            engine).
        res: discretisation step relative to ``m`` (DISCRETIZE, DOREFA).
        sto_round: stochastic rounding for the discretisation.
        dorefa_clip: clip value of the DoReFa modifier.
        pdrop: probability of setting a weight to zero (drop connect).
        enable_during_test: also perturb in evaluation mode.
        rel_to_actual_wmax: ``m`` is the actual abs-max weight, else ``assumed_wmax``.
        assumed_wmax: the assumed weight range.
        copy_last_column: leave the last (bias) column unperturbed.
        coeffs: polynomial coefficients of the POLY / PROG_NOISE noise model.
        type: which modifier (none by default).
        g_max: maximal conductance of the PCM / programming noise models.
        pcm_zero_thres, pcm_t_inference, pcm_prob_at_reset, pcm_prob_at_gmax,
        pcm_prob_at_random, pcm_t0: parameters of the PCM noise model (times in seconds,
            probabilities in [0, 1]).
    """

    std_dev: float = 0.0
    per_batch_sample: bool = False
    res: float = 0.0
    sto_round: bool = False
    dorefa_clip: float = 0.6
    pdrop: float = 0.0
    enable_during_test: bool = False
    rel_to_actual_wmax: bool = True
    assumed_wmax: float = 1.0
    copy_last_column: bool = False
    coeffs: list[float] = field(default_factory=lambda: [0.0105392, 0.0768, -0.046925])
    type: WeightModifierType = WeightModifierType.NONE
    g_max: float = 25.0
    pcm_zero_thres: float = 0.0
    pcm_t_inference: float = 0.0
    pcm_prob_at_reset: float = 0.0
    pcm_prob_at_gmax: float = 0.0
    pcm_prob_at_random: float = 0.0
    pcm_t0: float = 20.0


@dataclass
class WeightRemapParameter(ConfigBase):
    """Re-scale the weights into the tile range after every optimizer step.

    Attributes:
        remapped_wmax: target abs-max of the re-mapped weights.
        max_scale_range: cap of the ratio between the largest and smallest channel scale
            (0 = no cap; requires ``remapped_wmax == 1``).
        max_scale_ref: lower reference scale of that cap.
        type: layer-wise or channel-wise symmetric remapping (none by default).
    """

    remapped_wmax: float = 1.0
    max_scale_range: float = 0.0
    max_scale_ref: float = 0.0
    type: WeightRemapType = WeightRemapType.NONE
