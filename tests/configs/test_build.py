"""build_config: every algorithm alias x device given as class, instance or callable."""

from __future__ import annotations

import pytest

from analogtrain import configs as c
from analogtrain.configs import BoundManagementType as BM
from analogtrain.configs import NoiseManagementType as NM
from analogtrain.errors import ArgumentError, ConfigError

ALIASES = {
    "sgd": "sgd",
    "tiki-taka": "tt",
    "tt": "tt",
    "ttv1": "tt",
    "ttv2": "ttv2",
    "chopped-ttv2": "c-ttv2",
    "ttv3": "c-ttv2",
    "c-ttv2": "c-ttv2",
    "agad": "agad",
    "ttv4": "agad",
    "mp": "mp",
    "mixed-precision": "mp",
}

# Effective settings (spec compounds 1.4 table): compound class and its non-default fields.
COMPOUND = {
    "tt": (c.TransferCompound, {"units_in_mbatch": True, "fast_lr": 1.0}),
    "ttv2": (
        c.ChoppedTransferCompound,
        {
            "units_in_mbatch": False,
            "fast_lr": 1.0,
            "auto_scale": False,
            "in_chop_prob": 0.0,
            "in_chop_random": True,
            "out_chop_prob": 0.0,
        },
    ),
    "c-ttv2": (
        c.ChoppedTransferCompound,
        {
            "units_in_mbatch": False,
            "fast_lr": 0.1,
            "auto_scale": True,
            "in_chop_prob": 0.1,
            "in_chop_random": True,
            "out_chop_prob": 0.0,
        },
    ),
    "agad": (
        c.DynamicTransferCompound,
        {
            "units_in_mbatch": False,
            "fast_lr": 0.1,
            "auto_scale": True,
            "in_chop_prob": 0.1,
            "in_chop_random": False,
            "out_chop_prob": 0.0,
            "tail_weightening": 5.0,
            "buffer_cap": 0.0,
        },
    ),
}
TRANSFER_UPDATE = {
    "tt": (31, True, True),
    "ttv2": (1, False, False),
    "c-ttv2": (1, False, False),
    "agad": (1, True, True),
}
TRANSFER_NM_BM = {
    "tt": (NM.NONE, BM.NONE),
    "ttv2": (NM.NONE, BM.NONE),
    "c-ttv2": (NM.NONE, BM.NONE),
    "agad": (NM.ABS_MAX, BM.ITERATIVE),
}
MAIN_BL = {"sgd": 31, "mp": 31, "tt": 31, "ttv2": 5, "c-ttv2": 5, "agad": 5}


def _device_arg(form: str):
    """(argument, predicate that a built device came from it)."""
    if form == "class":
        return (
            c.SoftBoundsReferenceDevice,
            lambda d: d == c.SoftBoundsReferenceDevice(construction_seed=d.construction_seed),
        )
    if form == "instance":
        inst = c.ConstantStepDevice(dw_min=0.002, w_max=0.9)
        return (
            inst,
            lambda d: type(d) is c.ConstantStepDevice and d.dw_min == 0.002 and d is not inst,
        )
    return (
        lambda **kw: c.ExpStepDevice(A_up=0.01, **kw),
        lambda d: type(d) is c.ExpStepDevice and d.A_up == 0.01,
    )


def _pulsed_leaves(cfg) -> list:
    dev = cfg.device
    if isinstance(dev, c.MixedPrecisionCompound):
        return [dev.device]
    if isinstance(dev, c.UnitCell):
        return list(dev.unit_cell_devices)
    return [dev]


@pytest.mark.parametrize("form", ["class", "instance", "callable"])
@pytest.mark.parametrize("name", list(ALIASES))
def test_structure_per_algorithm(name: str, form: str) -> None:
    device, from_arg = _device_arg(form)
    io = c.IOParameters(out_noise=0.1) if form == "instance" else c.IOParameters
    cfg = c.build_config(name, device, io_parameters=io, construction_seed=7)
    kind = ALIASES[name]
    leaves = _pulsed_leaves(cfg)
    assert all(from_arg(d) for d in leaves)
    assert len({id(d) for d in leaves}) == len(leaves)
    assert cfg.forward is not cfg.backward and cfg.forward == cfg.backward
    assert cfg.forward.out_noise == (0.1 if form == "instance" else 0.06)
    assert cfg.update.desired_bl == MAIN_BL[kind]
    if kind == "sgd":
        assert type(cfg) is c.SingleRPUConfig
        assert cfg.device.construction_seed == 7
    elif kind == "mp":
        assert type(cfg) is c.DigitalRankUpdateRPUConfig
        assert type(cfg.device) is c.MixedPrecisionCompound
        # deliberate difference from aihwkit: the seed is honoured at the top level too
        assert cfg.device.construction_seed == 7 and cfg.device.device.construction_seed == 7
    else:
        cls, settings = COMPOUND[kind]
        assert type(cfg) is c.UnitCellRPUConfig and type(cfg.device) is cls
        assert len(leaves) == 2 and all(d.construction_seed == 0 for d in leaves)
        assert cfg.device.construction_seed == 7
        for field, value in settings.items():
            assert getattr(cfg.device, field) == value, field
        tu = cfg.device.transfer_update
        assert (tu.desired_bl, tu.update_bl_management, tu.update_management) == (
            TRANSFER_UPDATE[kind]
        )
        tf = cfg.device.transfer_forward
        assert (tf.noise_management, tf.bound_management) == TRANSFER_NM_BM[kind]
        assert tf is not cfg.forward and tf.out_noise == cfg.forward.out_noise
        assert cfg.device.transfer_every == 1.0 and cfg.device.gamma == 0.0
    cfg.validate()


def test_instance_arguments_are_not_modified() -> None:
    dev = c.ConstantStepDevice(dw_min=0.002)
    up = c.UpdateParameters(desired_bl=20)
    cfg = c.build_config("ttv2", dev, up_parameters=up, construction_seed=3)
    assert dev.construction_seed == 0 and up.desired_bl == 20
    assert cfg.update.desired_bl == 5 and cfg.device.transfer_update.desired_bl == 1
    single = c.build_config("sgd", dev, construction_seed=3)
    assert single.device.construction_seed == 3 and dev.construction_seed == 0


def test_case_insensitive_names() -> None:
    for name in ("SGD", "Tiki-Taka", "TTv2", "C-TTV2", "AGAD", "Mixed-Precision", "MP"):
        a = c.build_config(name, c.ConstantStepDevice)
        b = c.build_config(name.lower(), c.ConstantStepDevice)
        assert a == b
    assert c.ALGORITHMS == tuple(ALIASES)


@pytest.mark.parametrize("n", [2, 3])
def test_sgd_with_several_devices(n: int) -> None:
    cfg = c.build_config("sgd", c.LinearStepDevice, n_devices=n, construction_seed=5)
    assert type(cfg) is c.UnitCellRPUConfig and type(cfg.device) is c.VectorUnitCell
    assert cfg.device.update_policy == c.VectorUnitCellUpdatePolicy.SINGLE_RANDOM
    assert cfg.device.construction_seed == 5
    devs = cfg.device.unit_cell_devices
    assert len(devs) == n and all(d == c.LinearStepDevice() for d in devs)
    assert len({id(d) for d in devs}) == n
    cfg.validate()


def test_n_devices_only_matters_for_sgd() -> None:
    assert c.build_config("tt", c.ConstantStepDevice, n_devices=4) == c.build_config(
        "tt", c.ConstantStepDevice
    )


def test_kwargs_set_rpu_config_fields() -> None:
    mapping = c.MappingParameter(digital_bias=False, max_input_size=64)
    for name in ALIASES:
        cfg = c.build_config(name, c.ConstantStepDevice, mapping=mapping, tile_class="MyTile")
        assert cfg.mapping == mapping and cfg.tile_class == "MyTile"


@pytest.mark.parametrize("key", ["mapings", "clip", "forward", "device", "update", "backward"])
def test_bad_kwargs_raise_type_error(key: str) -> None:
    with pytest.raises(TypeError, match=key):
        c.build_config("sgd", c.ConstantStepDevice, **{key: c.MappingParameter()})


def test_unknown_algorithm() -> None:
    with pytest.raises(ArgumentError, match="Algorithm ttv9 is not known") as info:
        c.build_config("ttv9", c.ConstantStepDevice)
    assert "c-ttv2" in str(info.value) and "mixed-precision" in str(info.value)
    with pytest.raises(ArgumentError, match="string"):
        c.build_config(3, c.ConstantStepDevice)  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [0, -1, 1.5, True])
def test_bad_n_devices(n: object) -> None:
    with pytest.raises(ArgumentError, match="n_devices"):
        c.build_config("sgd", c.ConstantStepDevice, n_devices=n)  # type: ignore[arg-type]


def test_bad_seed_and_device_argument() -> None:
    with pytest.raises(ArgumentError, match="construction_seed"):
        c.build_config("sgd", c.ConstantStepDevice, construction_seed=1.5)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="device"):
        c.build_config("sgd", 42)


def test_instance_override_that_is_not_a_field() -> None:
    # FloatingPointDevice has no construction_seed: the override is refused, naming it.
    with pytest.raises(ConfigError, match="construction_seed"):
        c.build_config("sgd", c.FloatingPointDevice())


def test_ideal_device_instance_is_accepted() -> None:
    cfg = c.build_config("sgd", c.IdealDevice(diffusion=0.1), construction_seed=2)
    assert cfg.device == c.IdealDevice(diffusion=0.1, construction_seed=2)
    cfg.validate()
