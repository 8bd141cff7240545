"""Every compound and the configurations issue 11 lists train on a compiled CPU update path:
under backend ``"fast"`` no pulsed update may fall back to the reference (it would raise).
(Every registered pulsed device class having a fast rule: ``tests/kernels/test_custom_device``.)

The vector unit cell's ``ALL`` policy and the one-sided cells draw their shared trains once
per call and apply them with one compiled call per device (``cpu/routed_update.py``); with
a deterministic pulse type they take the per-sample process, whose counts are drawn in torch
and applied by the compiled count kernel (``fast_apply_pulse_counts``)."""

from __future__ import annotations

import pytest
import torch

pytest.importorskip("numba")

import analogtrain.configs as cfgs  # noqa: E402
from analogtrain.configs import UnitCellRPUConfig, build_config  # noqa: E402
from analogtrain.configs.enums import PulseType, RPUDataType, VectorUnitCellUpdatePolicy  # noqa: E402
from analogtrain.kernels import use_backend  # noqa: E402
from analogtrain.kernels.update import backend  # noqa: E402
from analogtrain.nn import AnalogLinear  # noqa: E402
from analogtrain.optim import AnalogSGD  # noqa: E402
from analogtrain.tiles import factory  # noqa: E402

ALGORITHMS = ["sgd", "mp", "tt", "ttv2", "c-ttv2", "agad"]


def _pair() -> list:
    return [cfgs.SoftBoundsDevice(), cfgs.SoftBoundsDevice()]


#: one unit-cell config per compound not reached through build_config's algorithms
UNIT_CELLS = {
    **{
        f"vector-{policy.name}": lambda p=policy: cfgs.VectorUnitCell(
            unit_cell_devices=_pair(), update_policy=p
        )
        for policy in VectorUnitCellUpdatePolicy
    },
    "reference": lambda: cfgs.ReferenceUnitCell(unit_cell_devices=_pair()),
    "onesided": lambda: cfgs.OneSidedUnitCell(
        unit_cell_devices=[cfgs.SoftBoundsDevice()], refresh_every=1
    ),
    "buffered": lambda: cfgs.BufferedTransferCompound(unit_cell_devices=_pair()),
    "difference": lambda: cfgs.DifferenceUnitCell(unit_cell_devices=[cfgs.SoftBoundsDevice()]),
}


def _train(rpu_config, steps: int = 3) -> None:
    torch.manual_seed(0)
    layer = AnalogLinear(6, 4, rpu_config=rpu_config)
    opt = AnalogSGD(layer.parameters(), lr=0.1)
    x, target = torch.randn(8, 6), torch.randn(8, 4)
    before = {k: v.clone() for k, v in layer.state_dict().items() if isinstance(v, torch.Tensor)}
    with use_backend("fast"):
        for _ in range(steps):
            opt.zero_grad()
            torch.nn.functional.mse_loss(layer(x), target).backward()
            opt.step()
    after = layer.state_dict()
    assert any(not torch.equal(after[k], v) for k, v in before.items()), "nothing trained"


def _config_cases() -> dict:
    cases = {f"{alg}": (lambda a=alg: build_config(a, cfgs.SoftBoundsReferenceDevice))
             for alg in ALGORITHMS}  # fmt: skip
    for name, cell in UNIT_CELLS.items():
        cases[name] = lambda c=cell: UnitCellRPUConfig(device=c())
    return cases


CASES = _config_cases()


def test_the_cases_cover_every_registered_compound() -> None:
    factory._import_compound_tiles()
    covered = {factory.tile_class_for(make()) for make in CASES.values()}
    missing = {cls.__name__ for cls in factory._TILES.values()} - {c.__name__ for c in covered}
    assert not missing


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_compound_trains_on_the_fast_path(case: str) -> None:
    _train(CASES[case]())


#: the transfer reads with noise only exist in the transfer compounds
VARIANTS = [
    (alg, variant)
    for alg in ALGORITHMS
    for variant in ("mean_count", "implicit", "transfer_inp_noise")
    if variant != "transfer_inp_noise" or alg not in ("sgd", "mp")
]


@pytest.mark.parametrize(("algorithm", "variant"), VARIANTS)
def test_listed_configs_train_on_the_fast_path(algorithm: str, variant: str) -> None:
    config = build_config(algorithm, cfgs.SoftBoundsReferenceDevice)
    if variant == "mean_count":
        config.update.pulse_type = PulseType.MEAN_COUNT
    elif variant == "implicit":
        config.update.pulse_type = PulseType.DETERMINISTIC_IMPLICIT
    else:
        config.device.transfer_forward.inp_noise = 0.05
    _train(config)


def test_double_trains_on_the_fast_path() -> None:
    config = build_config("sgd", cfgs.SoftBoundsReferenceDevice)
    config.runtime.data_type = RPUDataType.DOUBLE
    torch.set_default_dtype(torch.float64)
    try:
        _train(config)
    finally:
        torch.set_default_dtype(torch.float32)


def test_backend_fast_raises_on_a_config_without_a_fast_path(monkeypatch) -> None:
    """numba unusable: the compiled path cannot take the update, and ``"fast"`` says so."""
    from analogtrain.kernels.update.cpu import fast_update

    monkeypatch.setattr(fast_update, "_kernels", lambda: None)
    with pytest.raises(backend.FastPathUnavailable, match="numba cannot be imported"):
        _train(build_config("sgd", cfgs.SoftBoundsReferenceDevice), steps=1)
