"""Time the update of the compound tiles on their fast and reference paths.

One 64x64 tile (float64 for the DOUBLE row), update calls of 16 rows with gradients of
training size (``d = 0.05 randn``, ``x = randn``, lr 0.01), ``SoftBoundsReferenceDevice``
sub-devices, one torch thread.
Prints a table of the median CPU ms (process time: robust on a shared machine) per update
call over ``--calls`` calls (after 3 warm-up calls)::

    python benchmarks/compound_paths.py --calls 30
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from analogtrain.configs import (
    OneSidedUnitCell,
    ReferenceUnitCell,
    SingleRPUConfig,
    SoftBoundsReferenceDevice,
    UnitCellRPUConfig,
    VectorUnitCell,
    build_config,
)
from analogtrain.configs.enums import PulseType, RPUDataType, VectorUnitCellUpdatePolicy
from analogtrain.kernels.update import backend
from analogtrain.tiles import create_tile


def configs() -> dict[str, object]:
    dev = SoftBoundsReferenceDevice
    noisy_read = build_config("c-ttv2", dev)
    noisy_read.device.transfer_forward.inp_noise = 0.01
    return {
        "sgd (single device)": SingleRPUConfig(device=dev()),
        "VectorUnitCell ALL (2)": UnitCellRPUConfig(
            device=VectorUnitCell(
                unit_cell_devices=[dev(), dev()], update_policy=VectorUnitCellUpdatePolicy.ALL
            )
        ),
        **{
            f"VectorUnitCell {policy.name} ({n})": UnitCellRPUConfig(
                device=VectorUnitCell(
                    unit_cell_devices=[dev() for _ in range(n)], update_policy=policy
                )
            )
            for policy in VectorUnitCellUpdatePolicy
            for n in (2, 3)
            if (policy.name, n) != ("ALL", 2)
        },
        "ReferenceUnitCell": UnitCellRPUConfig(
            device=ReferenceUnitCell(unit_cell_devices=[dev(), dev()])
        ),
        "OneSidedUnitCell": UnitCellRPUConfig(
            device=OneSidedUnitCell(unit_cell_devices=[dev(), dev()])
        ),
        "OneSidedUnitCell, refresh_every 1": UnitCellRPUConfig(
            device=OneSidedUnitCell(unit_cell_devices=[dev(), dev()], refresh_every=1)
        ),
        "c-ttv2": build_config("c-ttv2", dev),
        "c-ttv2, transfer inp_noise 0.01": noisy_read,
        "sgd, runtime DOUBLE": _single(dev, data_type=RPUDataType.DOUBLE),
        "sgd, DETERMINISTIC_IMPLICIT": _single(dev, pulse_type=PulseType.DETERMINISTIC_IMPLICIT),
        "sgd, MEAN_COUNT": _single(dev, pulse_type=PulseType.MEAN_COUNT),
    }


def _single(dev: type, *, data_type: RPUDataType | None = None, pulse_type=None) -> object:
    cfg = SingleRPUConfig(device=dev())
    if data_type is not None:
        cfg.runtime.data_type = data_type
    if pulse_type is not None:
        cfg.update.pulse_type = pulse_type
    return cfg


def time_calls(cfg: object, calls: int, reference: bool) -> float:
    gen = torch.Generator().manual_seed(0)
    double = cfg.runtime.data_type == RPUDataType.DOUBLE  # type: ignore[attr-defined]
    dtype = torch.float64 if double else torch.float32
    tile = create_tile(cfg, 64, 64, dtype=dtype)  # what AnalogLinear does for DOUBLE
    xs = [torch.randn(16, 64, generator=gen, dtype=dtype) for _ in range(calls + 3)]
    ds = [0.05 * torch.randn(16, 64, generator=gen, dtype=dtype) for _ in range(calls + 3)]
    times = []
    for k, (x, d) in enumerate(zip(xs, ds)):
        start = time.process_time()
        if reference:
            with backend.use_reference():
                tile.update(x, d, 0.01)
        else:
            tile.update(x, d, 0.01)
        if k >= 3:
            times.append(time.process_time() - start)
    return 1e3 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"{'config':34s} {'auto CPU ms':>12s} {'reference CPU ms':>17s} {'auto / sgd':>11s}")
    sgd = None
    for name, cfg in configs().items():
        auto = time_calls(cfg, args.calls, reference=False)
        ref = time_calls(cfg, args.calls, reference=True)
        sgd = auto if sgd is None else sgd  # the first row is the single-device default
        print(f"{name:34s} {auto:12.2f} {ref:17.2f} {auto / sgd:11.1f}")


if __name__ == "__main__":
    main()
