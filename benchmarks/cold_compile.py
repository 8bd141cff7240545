"""Wall and CPU time of the first fast (numba) update of one device model, which includes
compiling its kernels. For a cold measurement point ``NUMBA_CACHE_DIR`` and
``ANALOGTRAIN_CACHE_DIR`` at empty folders::

    NUMBA_CACHE_DIR=/tmp/nb ANALOGTRAIN_CACHE_DIR=/tmp/kc python benchmarks/cold_compile.py
"""

from __future__ import annotations

import time


def main() -> None:
    t0, c0 = time.perf_counter(), time.process_time()
    import torch

    from analogtrain.configs import SoftBoundsReferenceDevice, UpdateParameters
    from analogtrain.devices import create_device_array
    from analogtrain.kernels import use_backend
    from analogtrain.kernels.update.pulsed import pulsed_update

    array = create_device_array(SoftBoundsReferenceDevice(), 8, 8, torch.Generator().manual_seed(0))
    with use_backend("fast"):
        x, d = torch.rand(4, 8), torch.rand(4, 8)
        pulsed_update(array, x, d, 0.1, UpdateParameters(), torch.Generator())
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"first update: {wall:.1f} s wall, {cpu:.1f} s CPU")


if __name__ == "__main__":
    main()
