"""Field names, order and defaults of every configuration class against the spec tables."""

from __future__ import annotations

import dataclasses
import math

import pytest

from analogtrain import configs as c
from analogtrain.configs import enums as e
from analogtrain.configs.tile_classes import TileClassName

PULSED = [
    ("construction_seed", 0),
    ("corrupt_devices_prob", 0.0),
    ("corrupt_devices_range", 0.1),
    ("diffusion", 0.0),
    ("diffusion_dtod", 0.0),
    ("drift", c.DriftParameter()),
    ("dw_min", 0.001),
    ("dw_min_dtod", 0.3),
    ("dw_min_dtod_log_normal", False),
    ("dw_min_std", 0.3),
    ("enforce_consistency", True),
    ("lifetime", 0.0),
    ("lifetime_dtod", 0.0),
    ("perfect_bias", False),
    ("reset", 0.0),
    ("reset_dtod", 0.0),
    ("reset_std", 0.01),
    ("up_down", 0.0),
    ("up_down_dtod", 0.01),
    ("w_max", 0.6),
    ("w_max_dtod", 0.3),
    ("w_min", -0.6),
    ("w_min_dtod", 0.3),
    ("count_pulses", False),
]
WRITE_NOISE = [("write_noise_std", 0.0), ("apply_write_noise_on_set", True)]
REVERSE = [("reverse_up", False), ("reverse_down", False), ("reverse_offset", 0.01)]
POW = [("pow_gamma", 1.0), ("pow_gamma_dtod", 0.1), ("pow_up_down", 0.0), ("pow_up_down_dtod", 0.0)]

IO = [
    ("is_perfect", False),
    ("mv_type", e.AnalogMVType.ONE_PASS),
    ("inp_bound", 1.0),
    ("inp_noise", 0.0),
    ("inp_res", 1 / 126),
    ("inp_sto_round", False),
    ("inp_asymmetry", 0.0),
    ("out_bound", 12.0),
    ("out_noise", 0.06),
    ("out_noise_std", 0.0),
    ("out_res", 1 / 510),
    ("out_sto_round", False),
    ("out_scale", 1.0),
    ("out_asymmetry", 0.0),
    ("bound_management", e.BoundManagementType.ITERATIVE),
    ("noise_management", e.NoiseManagementType.ABS_MAX),
    ("w_noise", 0.0),
    ("w_noise_type", e.WeightNoiseType.NONE),
    ("ir_drop", 0.0),
    ("ir_drop_g_ratio", 1 / 0.35 / 5e-6),
    ("out_nonlinearity", 0.0),
    ("out_nonlinearity_std", 0.0),
    ("slope_calibration", 0.0),
    ("v_offset_std", 0.0),
    ("v_offset_w_min", -1.0),
    ("r_series", 0.0),
    ("w_read_asymmetry_dtod", 0.0),
    ("max_bm_factor", 1000),
    ("max_bm_res", 0.25),
    ("bm_test_negative_bound", True),
    ("nm_thres", 0.0),
]
UPDATE = [
    ("desired_bl", 31),
    ("fixed_bl", True),
    ("pulse_type", e.PulseType.STOCHASTIC_COMPRESSED),
    ("res", 0),
    ("x_res_implicit", 0),
    ("d_res_implicit", 0),
    ("d_sparsity", False),
    ("sto_round", False),
    ("update_bl_management", True),
    ("update_management", True),
    ("um_grad_scale", 1.0),
]
TRANSFER = [
    ("unit_cell_devices", []),
    ("construction_seed", 0),
    ("gamma", 0.0),
    ("gamma_vec", []),
    ("transfer_every", 1.0),
    ("no_self_transfer", True),
    ("transfer_every_vec", []),
    ("units_in_mbatch", True),
    ("n_reads_per_transfer", 1),
    ("transfer_columns", True),
    ("with_reset_prob", 0.0),
    ("random_selection", False),
    ("fast_lr", 1.0),
    ("transfer_lr", 1.0),
    ("transfer_lr_vec", []),
    ("scale_transfer_lr", True),
    ("scale_fast_lr", True),  # aihwkit 1.2.0
    ("transfer_forward", c.IOParameters()),
    ("transfer_update", c.UpdateParameters()),
]
BL1 = c.UpdateParameters(desired_bl=1, update_bl_management=False, update_management=False)
CHOPPED = [
    ("in_chop_prob", 0.1),
    ("in_chop_random", True),
    ("out_chop_prob", 0.0),
    ("buffer_granularity", 1.0),
    ("auto_granularity", 0.0),
    ("step", 1.0),
    ("momentum", 0.0),
    ("forget_buffer", True),
    ("no_buffer", False),
    ("auto_scale", False),
    ("auto_momentum", 0.99),
    ("correct_gradient_magnitudes", False),
]


def _replace(items: list, **changes: object) -> list:
    return [(k, changes.get(k, v)) for k, v in items]


def _rpu(tile: str, device: object) -> list:
    return [
        ("tile_class", TileClassName(tile)),  # a name callable like aihwkit's class
        ("runtime", c.RuntimeParameter()),
        ("pre_post", c.PrePostProcessingParameter()),
        ("tile_array_class", "TileModuleArray"),
        ("mapping", c.MappingParameter()),
        ("forward", c.IOParameters()),
        ("backward", c.IOParameters()),
        ("update", c.UpdateParameters()),
        ("device", device),
    ]


EXPECTED = {
    c.ConstantStepDevice: PULSED,
    c.LinearStepDevice: PULSED
    + [
        ("gamma_up", 0.0),
        ("gamma_down", 0.0),
        ("gamma_up_dtod", 0.05),
        ("gamma_down_dtod", 0.05),
        ("allow_increasing", False),
        ("mean_bound_reference", True),
        ("mult_noise", True),
    ]
    + WRITE_NOISE
    + REVERSE,
    c.SoftBoundsDevice: PULSED + [("mult_noise", True)] + WRITE_NOISE + REVERSE,
    c.SoftBoundsPmaxDevice: _replace(PULSED, w_min=None, w_max=None, dw_min=None, up_down=None)
    + [("mult_noise", True)]
    + WRITE_NOISE
    + REVERSE
    + [("p_max", 1000), ("alpha", 0.0005), ("range_min", -1.0), ("range_max", 1.0)],
    c.SoftBoundsReferenceDevice: PULSED
    + [("mult_noise", False)]
    + WRITE_NOISE
    + [
        ("slope_up_dtod", 0.0),
        ("slope_down_dtod", 0.0),
        ("reference_mean", 0.0),
        ("reference_std", 0.0),
        ("subtract_symmetry_point", False),
    ],
    c.ExpStepDevice: PULSED
    + [
        ("A_up", 0.00081),
        ("A_down", 0.36833),
        ("gamma_up", 12.44625),
        ("gamma_down", 12.78785),
        ("a", 0.244),
        ("b", 0.2425),
        ("dw_min_std_add", 0.0),
        ("dw_min_std_slope", 0.0),
    ]
    + WRITE_NOISE,
    c.PowStepDevice: PULSED + POW + WRITE_NOISE,
    c.PowStepReferenceDevice: PULSED
    + POW
    + [
        ("subtract_symmetry_point", False),
        ("n_estimation_steps", -1),
        ("reference_mean", 0.0),
        ("reference_std", 0.0),
    ],
    c.PiecewiseStepDevice: PULSED + [("piecewise_up", [1]), ("piecewise_down", [1])] + WRITE_NOISE,
    c.IdealDevice: [
        ("construction_seed", 0),
        ("diffusion", 0.0),
        ("lifetime", 0.0),
        ("reset_std", 0.01),
    ],
    c.FloatingPointDevice: [
        ("diffusion", 0.0),
        ("lifetime", 0.0),
        ("drift", c.SimpleDriftParameter()),
    ],
    c.IOParameters: IO,
    c.UpdateParameters: UPDATE,
    c.MappingParameter: [
        ("digital_bias", True),
        ("weight_scaling_omega", 0.0),
        ("weight_scaling_columnwise", False),
        ("weight_scaling_lr_compensation", False),
        ("learn_out_scaling", False),
        ("out_scaling_columnwise", False),
        ("max_input_size", 512),
        ("max_output_size", 512),
    ],
    c.WeightClipParameter: [
        ("fixed_value", -1.0),
        ("sigma", 2.5),
        ("type", e.WeightClipType.NONE),
    ],
    c.WeightModifierParameter: [
        ("std_dev", 0.0),
        ("per_batch_sample", False),
        ("res", 0.0),
        ("sto_round", False),
        ("dorefa_clip", 0.6),
        ("pdrop", 0.0),
        ("enable_during_test", False),
        ("rel_to_actual_wmax", True),
        ("assumed_wmax", 1.0),
        ("copy_last_column", False),
        ("coeffs", [0.0105392, 0.0768, -0.046925]),
        ("type", e.WeightModifierType.NONE),
        ("g_max", 25.0),
        ("pcm_zero_thres", 0.0),
        ("pcm_t_inference", 0.0),
        ("pcm_prob_at_reset", 0.0),
        ("pcm_prob_at_gmax", 0.0),
        ("pcm_prob_at_random", 0.0),
        ("pcm_t0", 20.0),
    ],
    c.WeightRemapParameter: [
        ("remapped_wmax", 1.0),
        ("max_scale_range", 0.0),
        ("max_scale_ref", 0.0),
        ("type", e.WeightRemapType.NONE),
    ],
    c.SimpleDriftParameter: [("nu", 0.0), ("t_0", 1.0), ("reset_tol", 1e-7)],
    c.DriftParameter: [
        ("nu", 0.0),
        ("t_0", 1.0),
        ("reset_tol", 1e-7),
        ("nu_dtod", 0.0),
        ("nu_std", 0.0),
        ("wg_ratio", 1.0),
        ("g_offset", 0.0),
        ("w_offset", 0.0),
        ("nu_k", 0.0),
        ("log_g0", 0.0),
        ("w_noise_std", 0.0),
    ],
    c.PrePostProcessingParameter: [("input_range", c.InputRangeParameter())],
    c.InputRangeParameter: [
        ("enable", False),
        ("learn_input_range", True),
        ("init_value", 3.0),
        ("init_from_data", 100),
        ("init_std_alpha", 3.0),
        ("decay", 0.001),
        ("input_min_percentage", 0.95),
        ("manage_output_clipping", False),
        ("output_min_percentage", 0.95),
        ("gradient_scale", 1.0),
        ("gradient_relative", True),
        ("calibration_info", None),
    ],
    c.RuntimeParameter: [
        ("data_type", e.RPUDataType.FLOAT),
        ("on_the_fly_bindings", False),
        ("offload_input", False),
        ("offload_gradient", False),
    ],
    c.UnitCell: [("unit_cell_devices", []), ("construction_seed", 0)],
    c.VectorUnitCell: [
        ("unit_cell_devices", []),
        ("construction_seed", 0),
        ("update_policy", e.VectorUnitCellUpdatePolicy.ALL),
        ("first_update_idx", 0),
        ("gamma_vec", []),
    ],
    c.ReferenceUnitCell: [
        ("unit_cell_devices", []),
        ("construction_seed", 0),
        ("update_policy", e.VectorUnitCellUpdatePolicy.SINGLE_FIXED),
        ("first_update_idx", 0),
        ("gamma_vec", [1.0, -1.0]),
    ],
    c.OneSidedUnitCell: [
        ("unit_cell_devices", []),
        ("construction_seed", 0),
        ("refresh_every", 0),
        ("units_in_mbatch", True),
        ("refresh_upper_thres", 0.75),
        ("refresh_lower_thres", 0.25),
        ("refresh_forward", c.IOParameters()),
        ("refresh_update", c.UpdateParameters()),
        ("copy_inverted", False),
    ],
    c.TransferCompound: TRANSFER,
    c.BufferedTransferCompound: _replace(TRANSFER, transfer_update=BL1)
    + [("thres_scale", 1.0), ("step", 1.0), ("momentum", 0.1), ("forget_buffer", True)],
    c.ChoppedTransferCompound: _replace(
        TRANSFER, units_in_mbatch=False, transfer_update=BL1, scale_fast_lr=False
    )
    + CHOPPED,
    c.DynamicTransferCompound: _replace(
        TRANSFER, units_in_mbatch=False, transfer_update=BL1, scale_fast_lr=False
    )
    + _replace(CHOPPED, in_chop_random=False)
    + [
        ("experimental_correct_accumulation", False),
        ("buffer_cap", 0.0),
        ("tail_weightening", 5.0),
    ],
    c.DigitalRankUpdateCell: [("device", c.VectorUnitCell()), ("construction_seed", 0)],
    c.MixedPrecisionCompound: [
        ("device", c.VectorUnitCell()),
        ("construction_seed", 0),
        ("transfer_every", 1),
        ("n_rows_per_transfer", -1),
        ("random_row", False),
        ("granularity", 0.0),
        ("transfer_lr", 1.0),
        ("n_x_bins", 0),
        ("n_d_bins", 0),
        ("stoc_round_x", True),
        ("stoc_round_d", True),
    ],
    c.SingleRPUConfig: _rpu("AnalogTile", c.ConstantStepDevice()),
    c.UnitCellRPUConfig: _rpu("AnalogTile", c.UnitCell()),
    c.DigitalRankUpdateRPUConfig: _rpu("AnalogTile", c.DigitalRankUpdateCell()),
    c.FloatingPointRPUConfig: [
        ("tile_class", TileClassName("FloatingPointTile")),
        ("runtime", c.RuntimeParameter()),
        ("pre_post", c.PrePostProcessingParameter()),
        ("tile_array_class", "TileModuleArray"),
        ("mapping", c.MappingParameter()),
        ("device", c.FloatingPointDevice()),
    ],
}


@pytest.mark.parametrize("cls", list(EXPECTED), ids=lambda cls: cls.__name__)
def test_fields_order_and_defaults(cls: type) -> None:
    obj = cls()
    actual = [(f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj)]
    assert [name for name, _ in actual] == [name for name, _ in EXPECTED[cls]]
    for (name, value), (_, expected) in zip(actual, EXPECTED[cls]):
        assert value == expected, name
        assert type(value) is type(expected), name  # e.g. res stays the int 0 of aihwkit


def test_every_exported_dataclass_is_covered() -> None:
    exported = {getattr(c, n) for n in c.__all__ if dataclasses.is_dataclass(getattr(c, n, None))}
    missing = exported - set(EXPECTED) - {c.PulsedDevice, c.DifferenceUnitCell}
    assert not missing
    assert [f.name for f in dataclasses.fields(c.PulsedDevice)] == [n for n, _ in PULSED]
    assert EXPECTED[c.OneSidedUnitCell] == [
        (f.name, getattr(c.DifferenceUnitCell(), f.name))
        for f in dataclasses.fields(c.DifferenceUnitCell)
    ]


def test_default_factories_give_independent_objects() -> None:
    a, b = c.SingleRPUConfig(), c.SingleRPUConfig()
    assert a.forward is not a.backward and a.device is not b.device
    a.forward.out_noise = 0.5
    assert b.forward.out_noise == 0.06 and a.backward.out_noise == 0.06


def test_runtime_is_ignored_by_equality() -> None:
    a = c.SingleRPUConfig()
    b = c.SingleRPUConfig(runtime=c.RuntimeParameter(data_type=e.RPUDataType.DOUBLE))
    assert a == b
    assert a != c.SingleRPUConfig(mapping=c.MappingParameter(digital_bias=False))


ENUM_VALUES = {
    e.NoiseManagementType: {
        "NONE": "None",
        "ABS_MAX": "AbsMax",
        "ABS_MAX_NP_SUM": "AbsMaxNPSum",
        "MAX": "Max",
        "CONSTANT": "Constant",
        "AVERAGE_ABS_MAX": "AverageAbsMax",
    },
    e.BoundManagementType: {
        "NONE": "None",
        "ITERATIVE": "Iterative",
        "ITERATIVE_WORST_CASE": "IterativeWorstCase",
        "SHIFT": "Shift",
    },
    e.WeightNoiseType: {
        "NONE": "None",
        "ADDITIVE_CONSTANT": "AdditiveConstant",
        "PCM_READ": "PCMRead",
    },
    e.PulseType: {
        "NONE": "None",
        "STOCHASTIC_COMPRESSED": "StochasticCompressed",
        "STOCHASTIC": "Stochastic",
        "NONE_WITH_DEVICE": "NoneWithDevice",
        "MEAN_COUNT": "MeanCount",
        "DETERMINISTIC_IMPLICIT": "DeterministicImplicit",
    },
    e.AnalogMVType: {
        "IDEAL": "Ideal",
        "ONE_PASS": "OnePass",
        "POS_NEG_SEPARATE": "PosNegSeparate",
        "POS_NEG_SEPARATE_DIGITAL_SUM": "PosNegSeparateDigitalSum",
        "SPLIT_MODE": "SplitMode",
        "BIT_WISE": "BitWise",
    },
    e.WeightModifierType: {
        "NONE": "None",
        "DISCRETIZE": "Discretize",
        "MULT_NORMAL": "MultNormal",
        "ADD_NORMAL": "AddNormal",
        "DISCRETIZE_ADD_NORMAL": "DiscretizeAddNormal",
        "DOREFA": "DoReFa",
        "POLY": "Poly",
        "PCM_NOISE": "PCMNoise",
        "PROG_NOISE": "ProgNoise",
        "DROP_CONNECT": "DropConnect",
        "COPY": "Copy",
    },
    e.WeightClipType: {
        "NONE": "None",
        "FIXED_VALUE": "FixedValue",
        "LAYER_GAUSSIAN": "LayerGaussian",
        "AVERAGE_CHANNEL_MAX": "AverageChannelMax",
    },
    e.WeightRemapType: {
        "NONE": "None",
        "LAYERWISE_SYMMETRIC": "LayerwiseSymmetric",
        "CHANNELWISE_SYMMETRIC": "ChannelwiseSymmetric",
    },
    e.VectorUnitCellUpdatePolicy: {
        "ALL": "All",
        "SINGLE_FIXED": "SingleFixed",
        "SINGLE_SEQUENTIAL": "SingleSequential",
        "SINGLE_RANDOM": "SingleRandom",
    },
    e.RPUDataType: {"FLOAT": "float", "DOUBLE": "double", "HALF": "half"},
}


@pytest.mark.parametrize("enum", list(ENUM_VALUES), ids=lambda x: x.__name__)
def test_enum_members_and_values(enum: type) -> None:
    assert {m.name: m.value for m in enum} == ENUM_VALUES[enum]


def test_requires_diffusion_and_decay() -> None:
    assert not c.ConstantStepDevice().requires_diffusion()
    assert c.ConstantStepDevice(diffusion=0.1).requires_diffusion()
    assert c.LinearStepDevice(lifetime=10.0).requires_decay()
    assert c.IdealDevice(lifetime=2.0).requires_decay()
    assert c.FloatingPointDevice(diffusion=1e-3).requires_diffusion()
    cell = c.VectorUnitCell(
        unit_cell_devices=[c.ConstantStepDevice(), c.SoftBoundsDevice(lifetime=5.0)]
    )
    assert cell.requires_decay() and not cell.requires_diffusion()
    mp = c.MixedPrecisionCompound(device=c.ConstantStepDevice(diffusion=0.2))
    assert mp.requires_diffusion() and not mp.requires_decay()


def test_soft_bounds_pmax_derived_values() -> None:
    # spec single-tile 2.6.4 [verified]: B = 5.08299, w_max = 4.08299, dw_min = 0.00254149,
    # up_down = 0.606531 for the defaults.
    dev = c.SoftBoundsPmaxDevice(dw_min_dtod=0.1, write_noise_std=2.0)
    derived = dev.derived_parameters()
    assert derived["w_min"] == -1.0
    assert math.isclose(derived["w_max"], 4.08299, rel_tol=1e-5)
    assert math.isclose(derived["dw_min"], 0.00254149, rel_tol=1e-5)
    assert math.isclose(derived["up_down"], 0.606531, rel_tol=1e-5)
    sb = dev.as_soft_bounds()
    assert type(sb) is c.SoftBoundsDevice
    assert (sb.w_min, sb.w_max, sb.dw_min, sb.up_down) == tuple(
        derived[k] for k in ("w_min", "w_max", "dw_min", "up_down")
    )
    assert sb.dw_min_dtod == 0.1 and sb.write_noise_std == 2.0
    sb.validate()


def test_mapping_compatible_with() -> None:
    base = c.MappingParameter()
    assert base.compatible_with(c.MappingParameter(weight_scaling_omega=1.0))
    assert base.compatible_with(c.MappingParameter(weight_scaling_columnwise=True))
    assert not base.compatible_with(c.MappingParameter(max_input_size=64))


def test_parameter_groups_are_importable_from_one_module() -> None:
    from analogtrain.configs import parameters

    assert parameters.IOParameters is c.IOParameters
    assert set(parameters.__all__) <= set(c.__all__)
