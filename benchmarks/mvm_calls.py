"""Per-call cost of the noisy analog MVM (``analog_mvm``) with the default ``IOParameters``:
microseconds per call (median of ``--repeats`` timings of ``--calls`` calls each) and the
number of Python-level function calls per MVM (cProfile, deterministic), forward (with
bound management) and backward, for a few ``batch x in -> out`` sizes, on the reference
path and on the fast path (where the checkout has one); ``--configs`` adds other
``IOParameters`` (see ``CONFIGS``)::

    python benchmarks/mvm_calls.py --threads 1
    python benchmarks/mvm_calls.py --sizes 16x64x32 --configs default,inp_noise,pos_neg,w_noise
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time

CONFIGS = {
    "default": {},
    "inp_noise": {"inp_noise": 0.05, "inp_sto_round": True},
    "pos_neg": {"mv_type": "POS_NEG_SEPARATE_DIGITAL_SUM"},
    "w_noise": {"w_noise": 0.02, "w_noise_type": "ADDITIVE_CONSTANT", "ir_drop": 1.0},
    "perfect": {"is_perfect": True},
}


def _io(name: str):
    from analogtrain.configs import IOParameters
    from analogtrain.configs.enums import AnalogMVType, WeightNoiseType

    kwargs = dict(CONFIGS[name])
    if "mv_type" in kwargs:
        kwargs["mv_type"] = AnalogMVType[kwargs["mv_type"]]
    if "w_noise_type" in kwargs:
        kwargs["w_noise_type"] = WeightNoiseType[kwargs["w_noise_type"]]
    return IOParameters(**kwargs)


def _sizes(text: str) -> list[tuple[int, int, int]]:
    out = []
    for item in text.split(","):
        m, n_in, n_out = (int(v) for v in item.split("x"))
        out.append((m, n_in, n_out))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="16x64x32,64x512x512")
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--backends", default="reference,fast")
    parser.add_argument("--configs", default="default")
    args = parser.parse_args(argv)

    import torch

    from analogtrain.kernels.mvm.mvm import analog_mvm, init_io_state
    from analogtrain.kernels.update.backend import use_backend

    torch.set_num_threads(args.threads)  # a benchmark process of its own: set on purpose
    print(f"torch threads {torch.get_num_threads()}")
    print("| config | size (batch x in -> out) | direction | backend | us per call | calls |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, (m, n_in, n_out) in (
        (c, s) for c in args.configs.split(",") for s in _sizes(args.sizes)
    ):
        io = _io(name)
        gen = torch.Generator().manual_seed(0)
        w = torch.randn(n_out, n_in, generator=gen) * 0.1
        for direction in ("forward", "backward"):
            backward = direction == "backward"
            weight = w.t() if backward else w
            x = torch.rand(m, weight.shape[1], generator=gen)
            state = init_io_state(io, *weight.shape, gen)
            for backend in args.backends.split(","):
                try:
                    with use_backend(backend):
                        analog_mvm(weight, x, io, state, gen, is_backward=backward)
                except Exception as exc:  # noqa: BLE001 (a checkout without this backend)
                    print(f"| {name} | {m}x{n_in}->{n_out} | {direction} | {backend} | {exc} | |")
                    continue
                times = []
                with use_backend(backend):
                    for _ in range(args.repeats):
                        t0 = time.perf_counter()
                        for _ in range(args.calls):
                            analog_mvm(weight, x, io, state, gen, is_backward=backward)
                        times.append((time.perf_counter() - t0) / args.calls)
                    profile = cProfile.Profile()
                    profile.enable()
                    analog_mvm(weight, x, io, state, gen, is_backward=backward)
                    profile.disable()
                calls = pstats.Stats(profile).total_calls
                us = 1e6 * statistics.median(times)
                print(
                    f"| {name} | {m}x{n_in}->{n_out} | {direction} | {backend} | {us:.1f} "
                    f"| {calls} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
