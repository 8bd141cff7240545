"""Golden printouts of ``str(config)`` (spec compounds 1.6, 2.5, 2.6)."""

from __future__ import annotations

import textwrap

import pytest

from analogtrain import configs as c

HEAD = """\
{cls}(
    runtime=RuntimeParameter(),
    pre_post=PrePostProcessingParameter(input_range=InputRangeParameter(enable=False)),
    mapping=MappingParameter(),
    forward=IOParameters(),
    backward=IOParameters(),
    update=UpdateParameters({update}),
"""
NO_MGMT = (
    "IOParameters(bound_management=BoundManagementType.NONE, "
    "noise_management=NoiseManagementType.NONE)"
)
BL1 = "UpdateParameters(desired_bl=1, update_bl_management=False, update_management=False)"
TWO_SBREF = """\
        unit_cell_devices=[
            SoftBoundsReferenceDevice(),
            SoftBoundsReferenceDevice()
        ],
"""

GOLDEN = {
    "sgd": HEAD.format(cls="SingleRPUConfig", update="")
    + "    device=SoftBoundsReferenceDevice()\n)",
    "tt": HEAD.format(cls="UnitCellRPUConfig", update="")
    + "    device=TransferCompound(\n"
    + TWO_SBREF
    + f"        transfer_forward={NO_MGMT},\n"
    + "        transfer_update=UpdateParameters()\n    )\n)",
    "ttv2": HEAD.format(cls="UnitCellRPUConfig", update="desired_bl=5")
    + "    device=ChoppedTransferCompound(\n"
    + TWO_SBREF
    + f"        transfer_forward={NO_MGMT},\n"
    + f"        transfer_update={BL1},\n"
    + "        in_chop_prob=0.0\n    )\n)",
    "c-ttv2": HEAD.format(cls="UnitCellRPUConfig", update="desired_bl=5")
    + "    device=ChoppedTransferCompound(\n"
    + TWO_SBREF
    + "        fast_lr=0.1,\n"
    + f"        transfer_forward={NO_MGMT},\n"
    + f"        transfer_update={BL1},\n"
    + "        auto_scale=True\n    )\n)",
    "agad": HEAD.format(cls="UnitCellRPUConfig", update="desired_bl=5")
    + "    device=DynamicTransferCompound(\n"
    + TWO_SBREF
    + "        fast_lr=0.1,\n"
    + "        transfer_forward=IOParameters(),\n"
    + "        transfer_update=UpdateParameters(desired_bl=1),\n"
    + "        auto_scale=True\n    )\n)",
    "mp": HEAD.format(cls="DigitalRankUpdateRPUConfig", update="")
    + "    device=MixedPrecisionCompound(device=SoftBoundsReferenceDevice())\n)",
}


@pytest.mark.parametrize("algorithm", list(GOLDEN))
def test_build_config_golden(algorithm: str) -> None:
    assert str(c.build_config(algorithm, c.SoftBoundsReferenceDevice)) == GOLDEN[algorithm]


def test_golden_strings_match_spec_literally() -> None:
    # The first golden block of spec compounds 1.6, verbatim.
    spec = textwrap.dedent(
        """\
        SingleRPUConfig(
            runtime=RuntimeParameter(),
            pre_post=PrePostProcessingParameter(input_range=InputRangeParameter(enable=False)),
            mapping=MappingParameter(),
            forward=IOParameters(),
            backward=IOParameters(),
            update=UpdateParameters(),
            device=SoftBoundsReferenceDevice()
        )"""
    )
    assert GOLDEN["sgd"] == spec


def test_vector_unit_cell_golden() -> None:
    cfg = c.build_config("sgd", c.ConstantStepDevice, n_devices=3, construction_seed=5)
    expected = """\
    device=VectorUnitCell(
        unit_cell_devices=[
            ConstantStepDevice(),
            ConstantStepDevice(),
            ConstantStepDevice()
        ],
        construction_seed=5,
        update_policy=VectorUnitCellUpdatePolicy.SINGLE_RANDOM
    )
)"""
    assert str(cfg).endswith(expected)


def test_floating_point_config_golden() -> None:
    assert str(c.FloatingPointRPUConfig()) == (
        "FloatingPointRPUConfig(\n"
        "    runtime=RuntimeParameter(),\n"
        "    pre_post=PrePostProcessingParameter(input_range=InputRangeParameter(enable=False)),\n"
        "    mapping=MappingParameter(),\n"
        "    device=FloatingPointDevice(drift=SimpleDriftParameter())\n"
        ")"
    )


@pytest.mark.parametrize(
    ("obj", "text"),
    [
        (
            c.TransferCompound(),
            "TransferCompound(unit_cell_devices=[], transfer_forward=IOParameters(), "
            "transfer_update=UpdateParameters())",
        ),
        (
            c.OneSidedUnitCell(),
            "OneSidedUnitCell(unit_cell_devices=[], refresh_forward=IOParameters(), "
            "refresh_update=UpdateParameters())",
        ),
        (
            c.MixedPrecisionCompound(),
            "MixedPrecisionCompound(device=VectorUnitCell(unit_cell_devices=[]))",
        ),
        (c.IOParameters(is_perfect=True, out_noise=0.5), "IOParameters(is_perfect=True)"),
        (c.ConstantStepDevice(construction_seed=3), "ConstantStepDevice(construction_seed=3)"),
        (c.ConstantStepDevice(dw_min=1e-05), "ConstantStepDevice(dw_min=1e-05)"),
        (c.IdealDevice(), "IdealDevice()"),
        (c.ReferenceUnitCell(), "ReferenceUnitCell(unit_cell_devices=[])"),
        (
            c.ReferenceUnitCell(gamma_vec=[1.0, -0.5]),
            "ReferenceUnitCell(\n    unit_cell_devices=[],\n"
            "    gamma_vec=[\n        1.0,\n        -0.5\n    ]\n)",
        ),
        (
            c.ConstantStepDevice(drift=c.DriftParameter(nu=0.1)),
            "ConstantStepDevice(drift=DriftParameter(nu=0.1))",
        ),
        (
            c.UpdateParameters(pulse_type=c.PulseType.NONE),
            "UpdateParameters(pulse_type=PulseType.NONE)",
        ),
        (
            c.SingleRPUConfig(tile_class="MyTile").__str__().splitlines()[1],
            "    tile_class=MyTile,",
        ),
    ],
)
def test_compact_printouts(obj: object, text: str) -> None:
    assert str(obj) == text


def test_four_entries_go_multi_line() -> None:
    dev = c.ConstantStepDevice(dw_min=0.1, w_max=1.0, w_min=-1.0)
    assert str(dev) == "ConstantStepDevice(dw_min=0.1, w_max=1.0, w_min=-1.0)"
    dev.up_down = 0.2
    assert str(dev) == (
        "ConstantStepDevice(\n    dw_min=0.1,\n    up_down=0.2,\n    w_max=1.0,\n    w_min=-1.0\n)"
    )


def test_repr_is_the_dataclass_repr() -> None:
    text = repr(c.ConstantStepDevice())
    assert text.startswith("ConstantStepDevice(construction_seed=0, corrupt_devices_prob=0.0")
    assert "drift=DriftParameter(nu=0.0" in text
