"""Time c-TTv2 updates whose transfer reads see all columns of the fast array.

The cases of ``ChoppedTransferCompoundTile.reads_see_all_columns()`` (transfer input noise,
IR drop, read asymmetry) against c-TTv2's default reads, on the setup of
``compound_paths.py`` (64x64 tile, update calls of 16 rows, one torch thread). Prints the
median process-CPU ms per update call and the ratio to the default::

    python benchmarks/chopped_reads.py --calls 60
"""

from __future__ import annotations

import argparse

import torch
from compound_paths import time_calls

from analogtrain.configs import SoftBoundsReferenceDevice, build_config
from analogtrain.configs.enums import AnalogMVType

CASES = {
    "c-ttv2 (default reads)": {},
    "transfer inp_noise 0.01": {"inp_noise": 0.01},
    "transfer ir_drop 0.1": {"ir_drop": 0.1},
    "transfer w_read_asymmetry_dtod 0.1": {"w_read_asymmetry_dtod": 0.1},
    "  ... with POS_NEG_SEPARATE": {
        "w_read_asymmetry_dtod": 0.1,
        "mv_type": AnalogMVType.POS_NEG_SEPARATE,
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=60)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"{'case':36s} {'auto CPU ms':>12s} {'/ default':>10s}")
    base = None
    for name, fields in CASES.items():
        cfg = build_config("c-ttv2", SoftBoundsReferenceDevice)
        for key, value in fields.items():
            setattr(cfg.device.transfer_forward, key, value)
        ms = time_calls(cfg, args.calls, reference=False)
        base = ms if base is None else base
        print(f"{name:36s} {ms:12.2f} {ms / base:10.2f}")


if __name__ == "__main__":
    main()
