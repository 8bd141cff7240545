"""The batched update of the chopped compounds equals their per-vector process (spec 3.12).

``tiles/chopped_batch.py`` runs one update call as one fast update with captured reads, one
batched read, vectorised buffer rounds and one slow write. These tests hold it to the
per-vector process (the ``"reference"`` backend): bit for bit where nothing random is drawn,
in distribution (mean and spread of ``A``, ``C``, ``H`` over many runs) with all noise on.
"""

from __future__ import annotations

import pytest
import torch

from analogtrain.configs import (
    ChoppedTransferCompound,
    ConstantStepDevice,
    DynamicTransferCompound,
    IOParameters,
    SoftBoundsReferenceDevice,
    UnitCellRPUConfig,
    UpdateParameters,
    build_config,
)
from analogtrain.configs.enums import AnalogMVType, PulseType
from analogtrain.kernels.mvm import fast as fast_mvm
from analogtrain.kernels.update import backend
from analogtrain.tiles import create_tile
from analogtrain.tiles.chopped_batch import batched_path_applies, chopper_states

PERFECT = IOParameters(is_perfect=True)
MEAN = {"pulse_type": PulseType.MEAN_COUNT}


def quiet(**kw: float) -> ConstantStepDevice:
    """No cycle-to-cycle noise; device-to-device spread kept (fixed at construction)."""
    return ConstantStepDevice(dw_min_std=0.0, dw_min_dtod=0.2, **kw)


def deterministic_config(name: str, read: IOParameters = PERFECT) -> UnitCellRPUConfig:
    """Nothing random at run time: mean-count pulses, no c2c noise, perfect reads, regular
    choppers (random output choppers draw in the same order on both paths)."""
    common = dict(
        unit_cell_devices=[quiet(), quiet()],
        transfer_forward=read,
        transfer_update=UpdateParameters(desired_bl=2, **MEAN),
        units_in_mbatch=False,
        transfer_lr=0.3,
        buffer_granularity=0.5,
        construction_seed=4,
    )
    if name == "ttv2":
        device = ChoppedTransferCompound(in_chop_prob=0.0, fast_lr=0.05, **common)
    elif name == "ttv2-gamma":  # A partly visible: W = gamma A + C
        device = ChoppedTransferCompound(in_chop_prob=0.0, fast_lr=0.05, gamma=0.3, **common)
    elif name == "c-ttv2":
        device = ChoppedTransferCompound(
            in_chop_prob=0.5,
            in_chop_random=False,
            out_chop_prob=0.3,
            auto_scale=True,
            fast_lr=0.2,
            forget_buffer=False,
            momentum=0.3,
            **common,
        )
    else:
        common["transfer_lr"] = 3.0  # the signal is A - P_ref: smaller than A
        device = DynamicTransferCompound(
            in_chop_prob=0.5,
            out_chop_prob=0.3,
            auto_scale=True,
            fast_lr=0.2,
            experimental_correct_accumulation=True,
            **common,
        )
    update = UpdateParameters(desired_bl=7, **MEAN)
    return UnitCellRPUConfig(device=device, forward=PERFECT, backward=PERFECT, update=update)


def make(cfg, out_size: int, in_size: int, seed: int = 0, dtype: torch.dtype = torch.float32):
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return create_tile(cfg, out_size, in_size, dtype=dtype)


def drive(tile, sizes: list[int], seed: int = 0, lr: float = 0.1) -> None:
    gen = torch.Generator().manual_seed(seed)
    for m in sizes:
        x = torch.randn(m, tile.in_size, generator=gen)
        d = torch.randn(m, tile.out_size, generator=gen)
        tile.update(x.to(tile.dtype), d.to(tile.dtype), lr)


def state(tile) -> dict[str, object]:
    out: dict[str, object] = dict(tile.get_hidden_parameters())
    out.update(tile._state_extra())
    out["in_chopper"] = tile.in_chopper.clone()
    out["out_chopper"] = tile.out_chopper.clone()
    if hasattr(tile, "switched"):
        out["switched"] = tile.switched.clone()
    return out


def assert_same_state(a: dict, b: dict) -> None:
    """The two tiles' states have the same entries, each bit-for-bit equal."""
    assert list(a) == list(b)
    for key in a:
        if isinstance(a[key], torch.Tensor):
            assert torch.equal(a[key], b[key]), key
        else:
            assert a[key] == b[key], key


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "flip-by-flip"])
@pytest.mark.parametrize("name", ["ttv2", "ttv2-gamma", "c-ttv2", "agad"])
def test_batched_equals_per_vector_bit_for_bit(name: str, compiled: bool, monkeypatch) -> None:
    # 3 outputs, 4 inputs; calls of 10 and 7 rows (> in_size: several rounds per call). On a
    # CPU tile the inputs of a call with chopper flips are chopped in one compiled pass;
    # without it (CUDA, no numba) a few flips are corrected one by one in torch
    from analogtrain.tiles import chopped_batch

    if not compiled:
        monkeypatch.setattr(chopped_batch, "_call_kernel", lambda: None)
    batched, reference = (
        make(deterministic_config(name), 3, 4),
        make(deterministic_config(name), 3, 4),
    )
    assert batched_path_applies(batched)
    # the per-vector process chosen explicitly, under the same backend: both processes run
    # the same pulse kernel (the compiled one for MEAN_COUNT too), so they agree bit for bit
    reference.update_process = "per_vector"
    assert not batched_path_applies(reference)
    sizes = [10, 7, 10, 1, 10, 10]
    drive(batched, sizes)
    drive(reference, sizes)
    a, b = state(batched), state(reference)
    assert_same_state(a, b)
    # the scenario is not trivial: both devices moved, the buffer holds values
    assert a["hidden_weights_0"].abs().sum() > 0
    assert a["hidden_weights_1"].abs().sum() > 0
    assert batched.buffer.abs().sum() > 0
    assert torch.equal(batched.get_weights(), reference.get_weights())
    if name.startswith("c-") or name == "agad":
        assert a["in_chopper"].any() or a["out_chopper"].any()


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "torch-table"])
@pytest.mark.parametrize("name", ["c-ttv2", "agad"])
def test_batched_with_many_flips_per_call_equals_per_vector_bit_for_bit(
    name: str, compiled: bool, monkeypatch
) -> None:
    # calls of 40 and 33 rows on 4 columns: about 20 input-chopper flips per call, beyond
    # the flip-by-flip correction (chopped_batch._FEW_FLIPS), so the compiled pass (or,
    # without it, the table of chopper states) chops the inputs
    from analogtrain.tiles import chopped_batch

    if not compiled:
        monkeypatch.setattr(chopped_batch, "_call_kernel", lambda: None)

    sizes = [40, 33, 40]
    batched = make(deterministic_config(name), 3, 4)
    reference = make(deterministic_config(name), 3, 4)
    decided = batched.in_chopper_flips
    flips_per_call = []

    def recording(counters):
        flips = decided(counters)
        flips_per_call.append(sum(flips))
        return flips

    batched.in_chopper_flips = recording
    drive(batched, sizes)
    assert min(flips_per_call) > chopped_batch._FEW_FLIPS
    # the per-vector process chosen explicitly: both run the same (compiled) pulse kernel
    reference.update_process = "per_vector"
    drive(reference, sizes)
    a, b = state(batched), state(reference)
    assert_same_state(a, b)
    assert a["hidden_weights_1"].abs().sum() > 0


def test_chopper_states_are_cumulative_flips() -> None:
    initial = torch.tensor([1.0, -1.0, 1.0])
    flips = torch.tensor([[True, False, False], [False, False, False], [True, True, False]])
    states = chopper_states(initial, flips)
    expected = [[1, -1, 1], [-1, -1, 1], [-1, -1, 1], [1, 1, 1]]
    assert states.tolist() == expected


def noisy_config(name: str) -> UnitCellRPUConfig:
    """build_config's settings on a noisy device with write noise and noisy transfer reads,
    made more active so that a few calls move every state."""
    device = SoftBoundsReferenceDevice(write_noise_std=0.5, dw_min=0.01, dw_min_std=0.3)
    io = IOParameters(out_noise=0.02, out_res=-1.0, inp_res=-1.0)
    cfg = build_config(name, device, io_parameters=io, construction_seed=2)
    # buffer increments of order 0.1-1 per read: H stays busy, C gets a few steps
    cfg.device.transfer_lr = {"ttv2": 0.1, "c-ttv2": 0.5, "agad": 2.0}[name]
    if name == "agad":
        cfg.device.in_chop_prob = 0.5  # phases of 2 passes: writes start in pass 4
    else:
        cfg.device.in_chop_prob = 0.0 if name == "ttv2" else 0.3
    return cfg


def run_many(
    name: str, n_seeds: int, reference: bool, inp_noise: float = 0.0
) -> dict[str, torch.Tensor]:
    """A, C, H after three calls of 12 rows on an 8 x 4 tile, for tile seeds 0..n-1."""
    cfg = noisy_config(name)
    cfg.device.transfer_forward.inp_noise = inp_noise
    out: dict[str, list[torch.Tensor]] = {"A": [], "C": [], "H": []}
    for seed in range(n_seeds):
        tile = make(cfg, 8, 4, seed=seed)
        if reference:
            with backend.use_reference():
                drive(tile, [12, 12, 12], seed=123, lr=0.5)
        else:
            assert batched_path_applies(tile)
            drive(tile, [12, 12, 12], seed=123, lr=0.5)
        out["A"].append(tile.fast.weight.clone())
        out["C"].append(tile.slow.weight.clone())
        out["H"].append(tile.buffer.clone())
    return {k: torch.stack(v).to(torch.float64) for k, v in out.items()}


@pytest.mark.parametrize(
    ("name", "inp_noise"), [("ttv2", 0.0), ("c-ttv2", 0.0), ("agad", 0.0), ("c-ttv2", 0.05)]
)
def test_batched_matches_per_vector_in_distribution(name: str, inp_noise: float) -> None:
    n = 40
    fast, ref = run_many(name, n, False, inp_noise), run_many(name, n, True, inp_noise)
    for key in ("A", "C", "H"):
        a, b = fast[key], ref[key]
        assert b.abs().sum() > 0, key  # every state moved
        # per cross-point means: 5 standard errors of the difference
        se = ((a.var(dim=0) + b.var(dim=0)) / n).sqrt()
        diff = (a.mean(dim=0) - b.mean(dim=0)).abs()
        assert bool((diff <= 5 * se + 1e-7).all()), (key, (diff / (se + 1e-12)).max())
        # spread over runs, pooled over the cross-points: ratio of mean variances
        va, vb = a.var(dim=0).mean(), b.var(dim=0).mean()
        if vb > 0:
            assert 0.6 < float(va / vb) < 1.6, (key, float(va / vb))
        else:
            assert va == 0, key


def test_row_transfers_fall_back_to_the_per_vector_path() -> None:
    cfg = build_config("c-ttv2", ConstantStepDevice)
    cfg.device.transfer_columns = False
    tile = make(cfg, 3, 4)
    assert not batched_path_applies(tile)
    assert tile.batched_path_reason() == "transfer_columns=False"
    drive(tile, [5])
    assert tile.update_count == 5
    assert tile.slice_index[0] == 5 % tile.t_in


# A one-hot read that also sees the other columns of A: the batched process records all of A
# at each read. Input noise draws in the read only, in the same order on both processes.
NOISY_READ = IOParameters(inp_noise=0.05, out_noise=0.0, inp_res=-1.0, out_res=-1.0)


@pytest.mark.parametrize("name", ["ttv2", "ttv2-gamma"])
def test_noisy_reads_batched_equal_per_vector_bit_for_bit(name: str) -> None:
    batched = make(deterministic_config(name, NOISY_READ), 3, 4)
    reference = make(deterministic_config(name, NOISY_READ), 3, 4)
    assert batched.reads_see_all_columns() and batched_path_applies(batched)
    reference.update_process = "per_vector"
    sizes = [10, 7, 10, 1]
    drive(batched, sizes)
    drive(reference, sizes)
    a, b = state(batched), state(reference)
    assert_same_state(a, b)
    assert a["hidden_weights_1"].abs().sum() > 0 and batched.buffer.abs().sum() > 0
    # the noise did enter the reads: without it the buffer ends elsewhere
    quiet_tile = make(deterministic_config(name), 3, 4)
    drive(quiet_tile, sizes)
    assert not torch.equal(quiet_tile.buffer, batched.buffer)


# Reads that see the other columns through the wires: IR drop (c-TTv2: nothing drawn); read
# asymmetry (separate passes), which only a negative input sees, so with input noise, the one
# kind of draw (TTv2: its choppers draw nothing that could interleave with the reads).
WIRED_READS = {
    "c-ttv2, ir_drop": IOParameters(
        ir_drop=1.0, ir_drop_g_ratio=2.0, out_noise=0.0, inp_res=-1.0, out_res=-1.0
    ),
    "ttv2, read_asymmetry": IOParameters(
        w_read_asymmetry_dtod=0.3,
        mv_type=AnalogMVType.POS_NEG_SEPARATE,
        inp_noise=0.05,
        out_noise=0.0,
        inp_res=-1.0,
        out_res=-1.0,
    ),
}


@pytest.mark.parametrize("case", sorted(WIRED_READS))
def test_wired_reads_batched_equal_per_vector(case: str) -> None:
    name = case.split(",")[0]
    batched = make(deterministic_config(name, WIRED_READS[case]), 3, 4)
    reference = make(deterministic_config(name, WIRED_READS[case]), 3, 4)
    assert batched.reads_see_all_columns() and batched_path_applies(batched)
    reference.update_process = "per_vector"
    sizes = [10, 7, 10, 1]
    drive(batched, sizes)
    drive(reference, sizes)
    a, b = state(batched), state(reference)
    assert list(a) == list(b)
    for key in a:  # all reads of a call in one stacked MVM: products summed in another order
        if isinstance(a[key], torch.Tensor) and a[key].is_floating_point():
            torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-6, msg=key)
        elif isinstance(a[key], torch.Tensor):
            assert torch.equal(a[key], b[key]), key
        else:
            assert a[key] == b[key], key
    assert batched.buffer.abs().sum() > 0
    # the wires did enter the reads: with perfect reads the buffer ends elsewhere
    perfect = make(deterministic_config(name), 3, 4)
    drive(perfect, sizes)
    assert not torch.allclose(perfect.buffer, batched.buffer, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("case", ["inp_noise", "ir_drop", "read_asymmetry"])
def test_reads_that_see_all_columns_take_the_batched_path(case: str) -> None:
    cfg = build_config("c-ttv2", ConstantStepDevice)
    io = cfg.device.transfer_forward
    setattr(io, {"read_asymmetry": "w_read_asymmetry_dtod"}.get(case, case), 0.1)
    tile = make(cfg, 3, 4)
    assert tile.reads_see_all_columns() and batched_path_applies(tile)
    drive(tile, [5, 9])
    assert tile.update_count == 14
    assert tile.slice_index[0] == 14 % tile.t_in
    assert tile.transfer_counter == 3


@pytest.mark.parametrize("algorithm", ["c-ttv2", "agad"])
def test_conformance_counters_on_the_batched_path(algorithm: str) -> None:
    # spec compounds 6 item 2 (tests/tiles/test_compound_conformance.py counts the reads on
    # the per-vector process): 5 calls of 10 rows on a 4-in tile
    tile = make(build_config(algorithm, ConstantStepDevice, construction_seed=3), 3, 4, seed=1)
    assert batched_path_applies(tile)
    drive(tile, [10] * 5)
    assert tile.update_count == 50
    assert tile.transfer_counter == 12  # 50 reads = 12 complete passes over 4 columns + 2
    assert tile.slice_index[0] == 2
    if algorithm == "agad":
        assert tile.in_chopper.tolist() == [True] * 4  # the regular switch of pass 9
        assert tile.switched.tolist() == [False] * 4


def test_noisy_reads_the_compiled_mvm_declines_run_one_by_one_with_a_warning(monkeypatch) -> None:
    monkeypatch.setattr(fast_mvm, "numba_kernels", lambda: None)  # "numba cannot be imported"
    monkeypatch.setattr(backend, "_warned", set())  # every reason warns anew
    batched = make(deterministic_config("ttv2", NOISY_READ), 3, 4)
    reference = make(deterministic_config("ttv2", NOISY_READ), 3, 4)
    assert batched.reads_see_all_columns() and batched_path_applies(batched)
    reference.update_process = "per_vector"
    with pytest.warns(backend.FastPathWarning, match="numba cannot be imported"):
        drive(batched, [10, 7])
    drive(reference, [10, 7])
    assert_same_state(state(batched), state(reference))
    assert batched.buffer.abs().sum() > 0


#: rule options the compiled buffer loop must follow (set on deterministic_config's device)
_READ_RULES = {
    "c-ttv2-forget": ("c-ttv2", {"forget_buffer": True, "momentum": 0.4}),
    "c-ttv2-forget-restart": ("c-ttv2", {"forget_buffer": True, "momentum": 0.0}),
    "c-ttv2-no-buffer": ("c-ttv2", {"no_buffer": True}),
    "c-ttv2-double": ("c-ttv2", {}),
    "agad-cap": ("agad", {"forget_buffer": False, "momentum": 0.2, "buffer_cap": 0.5}),
    "agad-plain-accumulation": ("agad", {"experimental_correct_accumulation": False}),
}


@pytest.mark.parametrize("case", sorted(_READ_RULES))
def test_compiled_buffer_loop_equals_torch_rounds_bit_for_bit(case: str) -> None:
    # the batched process with its compiled loop over all reads of a call
    # (kernels/update/cpu/transfer_kernels.py) against the same process with the buffer
    # rounds in torch, and against the per-vector process
    name, options = _READ_RULES[case]
    dtype = torch.float64 if case.endswith("double") else torch.float32
    tiles = []
    for _ in range(3):
        cfg = deterministic_config(name)
        for key, value in options.items():
            setattr(cfg.device, key, value)
        tiles.append(make(cfg, 3, 4, dtype=dtype))
    compiled, rounds, per_vector = tiles
    calls = []
    decided = compiled.compiled_reads
    compiled.compiled_reads = lambda *a: calls.append(1) or decided(*a)
    rounds.compiled_reads = lambda *a: None  # the caller then runs the rounds in torch
    per_vector.update_process = "per_vector"
    sizes = [10, 7, 10, 1, 10, 10, 23]
    for tile in tiles:
        drive(tile, sizes)
    assert calls, "the compiled loop did not run"
    a = state(compiled)
    assert_same_state(a, state(rounds))
    assert_same_state(a, state(per_vector))
    assert a["hidden_weights_1"].abs().sum() > 0  # the slow device was written
    assert compiled.buffer.abs().sum() > 0
    assert compiled.buffer.dtype == dtype


def test_without_numba_the_buffer_rounds_run_in_torch_with_a_warning(monkeypatch) -> None:
    from analogtrain.tiles import chopped

    monkeypatch.setattr(chopped, "transfer_kernels", lambda: None)
    monkeypatch.setattr(backend, "_warned", set())
    batched = make(deterministic_config("agad"), 3, 4)
    reference = make(deterministic_config("agad"), 3, 4)
    reference.update_process = "per_vector"
    sizes = [10, 7, 10]
    with pytest.warns(backend.FastPathWarning, match="chopped transfer reads.*numba"):
        drive(batched, sizes)
    drive(reference, sizes)
    assert_same_state(state(batched), state(reference))


def test_slow_write_of_a_cpu_tile_equals_the_transfer_write_bit_for_bit() -> None:
    """``write_slow`` of a column-mode CPU tile (one-hot rows formed in numpy, the checked
    update) is the generic transfer write ``_write_slices``: weights and generator state."""
    cfg = noisy_config("c-ttv2")
    direct, generic = make(cfg, 3, 4), make(cfg, 3, 4)
    steps = torch.tensor([[1.0, 0.0, -2.0], [0.0, 0.0, 0.0], [3.0, 1.0, 0.0]])
    direct.write_slow(2, steps)  # reads of columns 2, 3, 0; the second writes nothing
    device = generic.rpu_config.device
    g_c = generic.slow.granularity
    generic._write_slices(
        1, torch.tensor([2, 0]), steps[[0, 2]], float(device.step) * g_c,
        device.transfer_update, g_c,
    )  # fmt: skip
    assert torch.equal(direct.slow.weight, generic.slow.weight)
    assert torch.equal(direct.generator.get_state(), generic.generator.get_state())
    assert not torch.equal(direct.slow.weight, make(cfg, 3, 4).slow.weight)
