"""validate(): every rule names the dotted path and the bad value; strict attributes."""

from __future__ import annotations

import copy
import pickle
import re
from collections.abc import Callable
from typing import Any

import pytest

from analogtrain import configs as c
from analogtrain.errors import ConfigError


def _single(**device: Any) -> c.SingleRPUConfig:
    return c.SingleRPUConfig(device=c.ConstantStepDevice(**device))


def _tt(**fields: Any) -> c.UnitCellRPUConfig:
    cfg = c.build_config("tt", c.ConstantStepDevice)
    for k, v in fields.items():
        setattr(cfg.device, k, v)
    return cfg


def _chopped(**fields: Any) -> c.UnitCellRPUConfig:
    cfg = c.build_config("c-ttv2", c.ConstantStepDevice)
    for k, v in fields.items():
        setattr(cfg.device, k, v)
    return cfg


def _agad(**fields: Any) -> c.UnitCellRPUConfig:
    cfg = c.build_config("agad", c.ConstantStepDevice)
    for k, v in fields.items():
        setattr(cfg.device, k, v)
    return cfg


def _cfg(**fields: Any) -> c.SingleRPUConfig:
    cfg = c.SingleRPUConfig()
    for path, v in fields.items():
        obj = cfg
        *parents, last = path.split("__")
        for p in parents:
            obj = getattr(obj, p)
        setattr(obj, last, v)
    return cfg


CASES: list[tuple[Callable[[], Any], str]] = [
    # devices: ranges and consistency
    (lambda: _single(dw_min=-0.001), "device.dw_min must be > 0, got -0.001"),
    (lambda: _single(dw_min=0), "device.dw_min must be > 0, got 0"),
    (lambda: _single(w_min=0.5, w_max=0.4), "device.w_min must be < w_max, got w_min=0.5"),
    (lambda: _single(w_min=0.1, w_max=0.4), "device.w_min/w_max must contain 0"),
    (lambda: _single(corrupt_devices_prob=1.5), "device.corrupt_devices_prob must be a prob"),
    (lambda: _single(corrupt_devices_prob=-0.1), "device.corrupt_devices_prob must be a prob"),
    (lambda: _single(dw_min_std=-0.1), "device.dw_min_std must be >= 0, got -0.1"),
    (lambda: _single(w_max_dtod=-0.3), "device.w_max_dtod must be >= 0, got -0.3"),
    (lambda: _single(reset_std=-1e-3), "device.reset_std must be >= 0"),
    (lambda: _single(reset=-0.2), "device.reset must be >= 0 .aihwkit silently uses 0"),
    (lambda: _single(lifetime=-1.0), "device.lifetime must be >= 0, got -1.0"),
    (lambda: _single(diffusion=-1.0), "device.diffusion must be >= 0, got -1.0"),
    # types: int for float ok, bool not, NaN not, wrong enum not
    (lambda: _single(dw_min=True), "device.dw_min must be of type float, got True"),
    (lambda: _single(dw_min=float("nan")), "device.dw_min must be a finite number, got nan"),
    (lambda: _single(w_max=float("inf")), "device.w_max must be a finite number, got inf"),
    (lambda: _single(dw_min="0.1"), "device.dw_min must be of type float, got '0.1'"),
    (lambda: _single(construction_seed=1.0), "device.construction_seed must be of type int"),
    (lambda: _single(enforce_consistency=1), "device.enforce_consistency must be of type bool"),
    (lambda: _single(drift=c.SimpleDriftParameter()), "device.drift must be of type Drift"),
    (lambda: _single(drift=c.DriftParameter(t_0=0.0)), "device.drift.t_0 must be > 0"),
    (
        lambda: _cfg(forward__noise_management=c.BoundManagementType.NONE),
        "forward.noise_management must be of type NoiseManagementType",
    ),
    (lambda: _cfg(forward__noise_management="AbsMax"), "forward.noise_management must be"),
    # model-specific devices
    (
        lambda: c.SingleRPUConfig(device=c.PiecewiseStepDevice(piecewise_up=[], piecewise_down=[])),
        "device.piecewise_up must not be empty, got \\[\\]",
    ),
    (
        lambda: c.SingleRPUConfig(device=c.PiecewiseStepDevice(piecewise_down=[1, 2])),
        "device.piecewise_down must have the length of piecewise_up",
    ),
    (
        lambda: c.SingleRPUConfig(device=c.PiecewiseStepDevice(piecewise_up=[1.0, "x"])),
        "device.piecewise_up\\[1\\] must be of type float, got 'x'",
    ),
    (
        lambda: c.SingleRPUConfig(device=c.LinearStepDevice(reverse_up=True, mult_noise=False)),
        "device.mult_noise must be True when reverse_up",
    ),
    (
        lambda: c.SingleRPUConfig(device=c.SoftBoundsDevice(reverse_down=True, mult_noise=False)),
        "device.mult_noise must be True",
    ),
    (
        lambda: c.SingleRPUConfig(device=c.SoftBoundsPmaxDevice(dw_min=0.01)),
        "device.dw_min is derived from p_max",
    ),
    (
        lambda: c.SingleRPUConfig(device=c.SoftBoundsPmaxDevice(alpha=0.0)),
        "device.alpha must be > 0",
    ),
    (
        lambda: c.SingleRPUConfig(device=c.SoftBoundsPmaxDevice(range_min=1.0, range_max=0.5)),
        "device.range_min must be < range_max",
    ),
    (
        lambda: c.SingleRPUConfig(device=c.SoftBoundsPmaxDevice(range_min=0.5)),
        "must contain 0",
    ),
    (lambda: c.SingleRPUConfig(device=c.PowStepDevice(pow_gamma=-1.0)), "pow_gamma must be >="),
    (lambda: c.SingleRPUConfig(device=c.PulsedDevice()), "device is the abstract PulsedDevice"),
    (lambda: c.SingleRPUConfig(device=c.VectorUnitCell()), "device must be of type"),
    (lambda: c.SingleRPUConfig(device=c.IdealDevice(lifetime=-2.0)), "device.lifetime must be"),
    (
        lambda: c.FloatingPointRPUConfig(device=c.FloatingPointDevice(diffusion=-1.0)),
        "device.diffusion must be >= 0",
    ),
    # IO and update
    (lambda: _cfg(forward__out_noise=-0.1), "forward.out_noise must be >= 0, got -0.1"),
    (lambda: _cfg(backward__inp_bound=2.0), "backward.inp_bound must be 1.0 when noise_man"),
    (lambda: _cfg(forward__max_bm_factor=0), "forward.max_bm_factor must be >= 1"),
    (lambda: _cfg(forward__out_noise_std=-1.0), "forward.out_noise_std must be >= 0"),
    (lambda: _cfg(update__desired_bl=0), "update.desired_bl must be >= 1, got 0"),
    (lambda: _cfg(update__res=16), "update.res must be a bin width <= 1"),
    (lambda: _cfg(update__x_res_implicit=2.0), "update.x_res_implicit must be a bin width"),
    (lambda: _cfg(mapping__max_input_size=-1), "mapping.max_input_size must be >= 0"),
    (lambda: _cfg(mapping__max_input_size=1.5), "mapping.max_input_size must be of type int"),
    (lambda: _cfg(pre_post__input_range__decay=2.0), "pre_post.input_range.decay must be a pr"),
    (lambda: _cfg(tile_class=3), "tile_class must be of type"),
    (lambda: _cfg(runtime=c.MappingParameter()), "runtime must be of type RuntimeParameter"),
    # compounds
    (lambda: c.UnitCellRPUConfig(), "device is the abstract UnitCell"),
    (lambda: c.DigitalRankUpdateRPUConfig(), "device is the abstract DigitalRankUpdateCell"),
    (
        lambda: c.UnitCellRPUConfig(device=c.VectorUnitCell()),
        "device.unit_cell_devices must hold at least 1 devices",
    ),
    (
        lambda: c.UnitCellRPUConfig(
            device=c.VectorUnitCell(unit_cell_devices=[c.ConstantStepDevice()], gamma_vec=[1, 2])
        ),
        "device.gamma_vec must be empty or have one entry per device .1.",
    ),
    (
        lambda: c.UnitCellRPUConfig(
            device=c.VectorUnitCell(unit_cell_devices=[c.ConstantStepDevice()], first_update_idx=1)
        ),
        "device.first_update_idx must index a device",
    ),
    (
        lambda: c.UnitCellRPUConfig(
            device=c.VectorUnitCell(unit_cell_devices=[c.ConstantStepDevice(dw_min=-1.0)])
        ),
        "device.unit_cell_devices\\[0\\].dw_min must be > 0",
    ),
    (
        lambda: c.UnitCellRPUConfig(device=c.VectorUnitCell(unit_cell_devices=[c.IOParameters()])),
        "device.unit_cell_devices\\[0\\] must be of type",
    ),
    (
        lambda: c.UnitCellRPUConfig(device=c.ReferenceUnitCell(unit_cell_devices=[])),
        "must hold 1..2 devices",
    ),
    (
        lambda: c.UnitCellRPUConfig(
            device=c.OneSidedUnitCell(
                unit_cell_devices=[c.ConstantStepDevice(), c.LinearStepDevice()]
            )
        ),
        "device.unit_cell_devices\\[1\\] must be a ConstantStepDevice like device 0",
    ),
    (lambda: _tt(unit_cell_devices=[c.ConstantStepDevice()]), "must hold at least 2 devices"),
    (lambda: _tt(gamma_vec=[0.5, 0.0]), "device.gamma_vec must have a non-zero last entry"),
    (lambda: _tt(transfer_lr_vec=[1.0]), "device.transfer_lr_vec must be empty or have one"),
    (lambda: _tt(with_reset_prob=2.0), "device.with_reset_prob must be a probability"),
    (
        lambda: _tt(with_reset_prob=0.5, transfer_columns=False),
        "device.with_reset_prob must be 0 when transfer_columns is False",
    ),
    (lambda: _tt(n_reads_per_transfer=0), "device.n_reads_per_transfer must be >= 1"),
    (lambda: _tt(transfer_every=-1.0), "device.transfer_every must be >= 0"),
    (lambda: _tt(transfer_forward=c.UpdateParameters()), "device.transfer_forward must be of"),
    (lambda: _tt(transfer_update=c.UpdateParameters(desired_bl=0)), "transfer_update.desired_bl"),
    (
        lambda: c.UnitCellRPUConfig(
            device=c.BufferedTransferCompound(
                unit_cell_devices=[c.ConstantStepDevice()] * 2, thres_scale=0.0
            )
        ),
        "device.thres_scale must be > 0",
    ),
    (lambda: _chopped(in_chop_prob=1.5), "device.in_chop_prob must be a probability"),
    (lambda: _chopped(out_chop_prob=-0.5), "device.out_chop_prob must be a probability"),
    (
        lambda: _chopped(unit_cell_devices=[c.ConstantStepDevice()] * 3),
        "must hold 2 devices for ChoppedTransferCompound .has 3.",
    ),
    (lambda: _chopped(n_reads_per_transfer=2), "device.n_reads_per_transfer must be 1"),
    (
        lambda: _chopped(transfer_every=-1.0, units_in_mbatch=True),
        "device.transfer_every must be >= 0 when units_in_mbatch",
    ),
    (lambda: _agad(tail_weightening=-1.0), "device.tail_weightening must be >= 0"),
    (lambda: _agad(auto_momentum=1.5), "device.auto_momentum must be a probability"),
    (lambda: _agad(momentum=-0.5), "device.momentum must be a probability"),
    (
        lambda: c.DigitalRankUpdateRPUConfig(
            device=c.MixedPrecisionCompound(device=c.ConstantStepDevice(), n_x_bins=1)
        ),
        "device.n_x_bins must be 0 .off. or >= 2",
    ),
    (
        lambda: c.DigitalRankUpdateRPUConfig(
            device=c.MixedPrecisionCompound(device=c.ConstantStepDevice(), n_d_bins=-3)
        ),
        "device.n_d_bins must be >= 0",
    ),
    (
        lambda: c.DigitalRankUpdateRPUConfig(
            device=c.MixedPrecisionCompound(
                device=c.TransferCompound(unit_cell_devices=[c.ConstantStepDevice()] * 2)
            )
        ),
        "device.device must be a pulsed device or a vector",
    ),
    # stand-alone parameter groups
    (lambda: c.WeightModifierParameter(pdrop=1.2), "^pdrop must be a probability"),
    (lambda: c.WeightClipParameter(sigma=-1.0), "^sigma must be >= 0"),
    (lambda: c.WeightRemapParameter(remapped_wmax=0.0), "^remapped_wmax must be > 0"),
    (
        lambda: c.WeightRemapParameter(max_scale_range=2.0, remapped_wmax=2.0),
        "^remapped_wmax must be 1.0 when max_scale_range > 0",
    ),
    (lambda: c.DriftParameter(nu_dtod=-1.0), "^nu_dtod must be >= 0"),
    (lambda: c.ConstantStepDevice(up_down_dtod=-0.1), "^up_down_dtod must be >= 0"),
]


@pytest.mark.parametrize(("make", "message"), CASES, ids=[m for _, m in CASES])
def test_validation_errors(make: Callable[[], Any], message: str) -> None:
    cfg = make()
    with pytest.raises(ConfigError, match=message):
        cfg.validate()


VALID = [
    c.SingleRPUConfig(),
    c.FloatingPointRPUConfig(),
    _single(dw_min=1, w_max=1, w_min=-1),  # ints accepted for floats
    c.SingleRPUConfig(device=c.SoftBoundsPmaxDevice()),
    c.SingleRPUConfig(
        device=c.PiecewiseStepDevice(piecewise_up=[2, 1, 0.5], piecewise_down=[0.5, 1, 2])
    ),
    c.SingleRPUConfig(device=c.IdealDevice()),
    c.UnitCellRPUConfig(device=c.ReferenceUnitCell(unit_cell_devices=[c.ConstantStepDevice()])),
    c.UnitCellRPUConfig(device=c.OneSidedUnitCell(unit_cell_devices=[c.ExpStepDevice()] * 2)),
    c.UnitCellRPUConfig(
        device=c.BufferedTransferCompound(unit_cell_devices=[c.ConstantStepDevice()] * 3)
    ),
    _chopped(transfer_every=-1.0),
    _chopped(gamma=0.5),
    _agad(in_chop_prob=0.0, tail_weightening=0.0),
    _cfg(update__res=0.1, forward__noise_management=c.NoiseManagementType.NONE),
    _cfg(forward__inp_bound=2.0, forward__noise_management=c.NoiseManagementType.NONE),
    c.WeightModifierParameter(),
    c.WeightClipParameter(),
    c.WeightRemapParameter(),
]


@pytest.mark.parametrize("cfg", VALID, ids=lambda x: type(x).__name__)
def test_valid_configs_pass(cfg: Any) -> None:
    cfg.validate()


# ---- strict attribute setting -----------------------------------------------------------


def test_typo_raises_with_close_matches() -> None:
    dev = c.ConstantStepDevice()
    with pytest.raises(
        ConfigError, match="ConstantStepDevice has no field 'dw_mn'; did you mean 'dw_min'"
    ):
        dev.dw_mn = 0.1
    cfg = c.SingleRPUConfig()
    with pytest.raises(ConfigError, match="'forward'"):
        cfg.forwrd = c.IOParameters()
    with pytest.raises(ConfigError, match="no field 'zzz'$"):
        cfg.mapping.zzz = 1
    assert "dw_mn" not in vars(dev)


@pytest.mark.parametrize("name", ["requires_decay", "_private", "__weakref__"])
def test_non_field_attributes_are_refused(name: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(repr(name))):
        setattr(c.IdealDevice(), name, 1)


def test_constructor_typo_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="dw_mn"):
        c.ConstantStepDevice(dw_mn=0.1)  # type: ignore[call-arg]


def test_deepcopy_pickle_and_replace_still_work() -> None:
    cfg = c.build_config("agad", c.SoftBoundsDevice, construction_seed=4)
    assert copy.deepcopy(cfg) == cfg and copy.copy(cfg) == cfg
    assert pickle.loads(pickle.dumps(cfg)) == cfg
    import dataclasses

    changed = dataclasses.replace(cfg.forward, out_noise=0.2)
    assert changed.out_noise == 0.2 and cfg.forward.out_noise == 0.06
    fields_set = vars(copy.deepcopy(cfg.device))
    assert set(fields_set) == {f.name for f in dataclasses.fields(cfg.device)}
