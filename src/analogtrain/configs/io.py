"""`IOParameters`: the analog matrix-vector product and its periphery (spec single-tile 3)."""

from __future__ import annotations

from dataclasses import dataclass

from analogtrain.configs.base import ConfigBase
from analogtrain.configs.enums import (
    AnalogMVType,
    BoundManagementType,
    NoiseManagementType,
    WeightNoiseType,
)

__all__ = ["IOParameters"]


@dataclass
class IOParameters(ConfigBase):
    """Non-idealities of one direction (forward or backward) of the analog MVM.

    The input vector is scaled (noise management), converted by a DAC (clip to
    ``±inp_bound``, quantise, add noise), multiplied by the weights on the crossbar (with
    optional weight noise, IR drop, voltage offsets, output non-linearity), and read out by an
    ADC (add output noise, clip to ``±out_bound``, quantise), then scaled back. All amplitudes
    are in normalised units: inputs in units of the DAC full scale (``inp_bound = 1``), outputs
    in weight × input units.

    Ideal switch:
        is_perfect: exact floating-point product; only ``out_scale`` is applied.
        mv_type: how signed inputs are applied: in one pass (default), in separate positive and
            negative passes (analog or digital sum of the two), or ideally.

    DAC (input side):
        inp_bound: inputs are clipped to ``[-inp_bound, inp_bound]``; must be 1 when noise
            management is on; ``<= 0`` disables the clip.
        inp_noise: std of Gaussian noise added to each converted input (full-scale units).
        inp_res: DAC resolution: a step as a fraction of the full range ``2·inp_bound``
            (``1/126`` = 7 bit); a value > 1 is read as the number of steps; ``<= 0``: none.
        inp_sto_round: round inputs stochastically instead of to the nearest level.
        inp_asymmetry: negative inputs are multiplied by ``1 - inp_asymmetry``.

    ADC (output side):
        out_bound: outputs saturate at ``±out_bound``; ``<= 0`` disables the clip.
        out_noise: std of Gaussian noise added to each output before the ADC.
        out_noise_std: relative spread, fixed per output line, of ``out_noise``.
        out_res: ADC resolution, same conventions as ``inp_res`` (``1/510`` = 9 bit).
        out_sto_round: stochastic rounding in the ADC.
        out_scale: digital factor applied to the final output.
        out_asymmetry: negative outputs are multiplied by ``1 - out_asymmetry``.

    Input scaling and saturation handling:
        bound_management: on ADC saturation, redo the MVM with down-scaled inputs (forward
            only; the backward pass always uses NONE).
        noise_management: how the input is normalised before the DAC (abs-max by default).
        max_bm_factor: largest input reduction factor bound management may use.
        max_bm_res: limit of that reduction relative to the DAC resolution.
        bm_test_negative_bound: treat negative saturation as a bound-management failure too.
        nm_thres: saturation threshold of noise management, or the constant for CONSTANT.

    Analog non-idealities:
        w_noise: strength of output-referred weight (read) noise; ``w_noise_type`` its kind.
        ir_drop: strength of the IR-drop model (0 = off).
        ir_drop_g_ratio: wire-to-device conductance ratio of the IR-drop model.
        out_nonlinearity: strength of the S-shaped output non-linearity;
            ``out_nonlinearity_std`` its output-to-output relative spread.
        slope_calibration: output level (fraction of ``out_bound``) at which the
            non-linearity is calibrated to slope 1 (0 = no calibration).
        v_offset_std: std of fixed per-output voltage offsets (half-normal, non-negative).
        v_offset_w_min: weight value of the implicit reference conductance for the offsets.
        r_series: series-resistance saturation coefficient.
        w_read_asymmetry_dtod: device-to-device spread of a polarity-dependent read factor
            (only for the separate-pass MVM types).
    """

    is_perfect: bool = False
    mv_type: AnalogMVType = AnalogMVType.ONE_PASS
    inp_bound: float = 1.0
    inp_noise: float = 0.0
    inp_res: float = 1 / (2**7 - 2)
    inp_sto_round: bool = False
    inp_asymmetry: float = 0.0
    out_bound: float = 12.0
    out_noise: float = 0.06
    out_noise_std: float = 0.0
    out_res: float = 1 / (2**9 - 2)
    out_sto_round: bool = False
    out_scale: float = 1.0
    out_asymmetry: float = 0.0
    bound_management: BoundManagementType = BoundManagementType.ITERATIVE
    noise_management: NoiseManagementType = NoiseManagementType.ABS_MAX
    w_noise: float = 0.0
    w_noise_type: WeightNoiseType = WeightNoiseType.NONE
    ir_drop: float = 0.0
    ir_drop_g_ratio: float = 1 / 0.35 / 5e-6
    out_nonlinearity: float = 0.0
    out_nonlinearity_std: float = 0.0
    slope_calibration: float = 0.0
    v_offset_std: float = 0.0
    v_offset_w_min: float = -1.0
    r_series: float = 0.0
    w_read_asymmetry_dtod: float = 0.0
    max_bm_factor: int = 1000
    max_bm_res: float = 0.25
    bm_test_negative_bound: bool = True
    nm_thres: float = 0.0
