"""Hand-computed small cases of the compounds' buffer rules (independent of the code).

Every expected value below was worked out by hand from the rules of spec compounds 3.6
(buffered TTv2) and 3.8 (AGAD); the fast device is held fixed (all-zero ``x`` and ``d``
produce no pulse) and read perfectly, so each read returns the column that was set.
"""

from __future__ import annotations

import pytest
import torch

from analogtrain.configs import (
    BufferedTransferCompound,
    ConstantStepDevice,
    DynamicTransferCompound,
    IOParameters,
    UnitCellRPUConfig,
)
from analogtrain.tiles import create_tile

PERFECT = IOParameters(is_perfect=True)


def quiet(**kw: float) -> ConstantStepDevice:
    base = dict(
        dw_min_dtod=0.0,
        up_down_dtod=0.0,
        w_max_dtod=0.0,
        w_min_dtod=0.0,
        dw_min_std=0.0,
        reset_std=0.0,
    )
    base.update(kw)
    return ConstantStepDevice(**base)


def make(compound, out_size: int, in_size: int):
    cfg = UnitCellRPUConfig(device=compound, forward=PERFECT, backward=PERFECT)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return create_tile(cfg, out_size, in_size)


def set_fast(tile, value: torch.Tensor) -> None:
    hidden = tile.get_hidden_parameters()
    hidden["hidden_weights_0"] = value
    tile.set_hidden_parameters(hidden)


# ---------------------------------------------------------------------- buffered momentum
# One output column per read (in_size 1): A[:, 0] = (0.025, -0.013, 0.004), threshold
# bg = thres_scale * g(C) = 0.01, one step at most per read (desired_bl 1), lr_t = 1.
READ = [0.025, -0.013, 0.004]
# (forget_buffer, momentum) -> buffer after reads 1, 2, 3 and C after read 3
BUFFERED_CASES = {
    # subtract (1 - momentum) n bg where a step is written:
    #   r1 h = (0.025, -0.013, 0.004)   n = (1, -1, 0)  H = (0.0175, -0.0055, 0.004)
    #   r2 h = (0.0425, -0.0185, 0.008) n = (1, -1, 0)  H = (0.035, -0.011, 0.008)
    #   r3 h = (0.06, -0.024, 0.012)    n = (1, -1, 1)  H = (0.0525, -0.0165, 0.0045)
    (False, 0.25): (
        [[0.0175, -0.0055, 0.004], [0.035, -0.011, 0.008], [0.0525, -0.0165, 0.0045]],
        [0.03, -0.03, 0.01],
    ),
    # keep momentum h where a step is written:
    #   r1 H = 0.25 (0.025, -0.013) and 0.004 below the threshold
    #   r2 h = (0.03125, -0.01625, 0.008)   H = (0.0078125, -0.0040625, 0.008)
    #   r3 h = (0.0328125, -0.0170625, 0.012) n = (1, -1, 1)
    (True, 0.25): (
        [
            [0.00625, -0.00325, 0.004],
            [0.0078125, -0.0040625, 0.008],
            [0.008203125, -0.004265625, 0.003],
        ],
        [0.03, -0.03, 0.01],
    ),
    # momentum 1 when subtracting: nothing leaves the buffer
    (False, 1.0): (
        [[0.025, -0.013, 0.004], [0.05, -0.026, 0.008], [0.075, -0.039, 0.012]],
        [0.03, -0.03, 0.01],
    ),
}


@pytest.mark.parametrize(("forget", "momentum"), list(BUFFERED_CASES))
def test_buffered_momentum_matches_hand_computed_reads(forget: bool, momentum: float) -> None:
    compound = BufferedTransferCompound(
        unit_cell_devices=[quiet(dw_min=0.001), quiet(dw_min=0.01)],
        transfer_forward=PERFECT,
        momentum=momentum,
        forget_buffer=forget,
    )
    tile = make(compound, 3, 1)
    set_fast(tile, torch.tensor(READ).unsqueeze(1))
    buffers, slow = BUFFERED_CASES[(forget, momentum)]
    for expected in buffers:  # one transfer per call of one vector (units_in_mbatch)
        tile.update(torch.zeros(1, 1), torch.zeros(1, 3), 1.0)
        torch.testing.assert_close(
            tile.buffer(0)[:, 0], torch.tensor(expected), atol=2e-8, rtol=1e-6
        )
    torch.testing.assert_close(tile.slow.weight[:, 0], torch.tensor(slow), atol=1e-7, rtol=0)
    torch.testing.assert_close(tile.fast.weight[:, 0], torch.tensor(READ))  # A untouched


# ---------------------------------------------------------------------- AGAD running mean
# 2 x 2 tile, in_chop_prob 0.5: N = 2 passes per phase; tail_weightening 1: beta = 1 / 2.
# Read r (1-based) reads column (r - 1) % 2 in pass (r - 1) // 2; the input chopper of the
# read column flips after its read in the last pass of each phase (passes 1, 3, ...).
# After k reads of a column its running mean is P = (1 - 2^-k) v. The reference P_ref is
# P just before the first read after a flip. With s = |lr_t| / (buffer_granularity g(A))
# = 1000, the buffer of a column after its reads 1..5 (signs +, +, -, -, +):
#   1000 v, 2000 v, 2000 v - 1000 (v - 0.75 v) = 1750 v, 1500 v,
#   1500 v + 1000 (v - 0.9375 v) = 1562.5 v          (all below the threshold 1)
V0 = [0.0002, -0.0004]
V1 = [0.0001, 0.0003]


def agad_tile():
    compound = DynamicTransferCompound(
        unit_cell_devices=[quiet(), quiet()],
        transfer_forward=PERFECT,
        in_chop_prob=0.5,
        tail_weightening=1.0,
    )
    tile = make(compound, 2, 2)
    set_fast(tile, torch.tensor([V0, V1]).T)
    return tile


def drive(tile, n: int, per_call: int) -> None:
    for _ in range(n // per_call):
        tile.update(torch.zeros(per_call, 2), torch.zeros(per_call, 2), 1.0)


@pytest.mark.parametrize(("process", "per_call"), [("per_vector", 1), ("batched", 5)])
def test_agad_running_mean_and_reference_match_hand_computed(process: str, per_call: int) -> None:
    tile = agad_tile()
    tile.update_process = process
    v0, v1 = torch.tensor(V0), torch.tensor(V1)
    close = dict(atol=1e-10, rtol=1e-5)

    drive(tile, 5, per_call)  # column 0 read 3 times (a flip after its 2nd), column 1 twice
    torch.testing.assert_close(tile.running_mean[:, 0], 0.875 * v0, **close)
    torch.testing.assert_close(tile.running_mean[:, 1], 0.75 * v1, **close)
    torch.testing.assert_close(tile.past_mean[:, 0], 0.75 * v0, **close)
    torch.testing.assert_close(tile.past_mean[:, 1], torch.zeros(2), **close)  # not read yet
    torch.testing.assert_close(tile.buffer[:, 0], 1750.0 * v0, **close)
    torch.testing.assert_close(tile.buffer[:, 1], 2000.0 * v1, **close)
    assert tile.switched.tolist() == [False, True]
    assert tile.in_chopper.tolist() == [True, True]

    drive(tile, 5, per_call)  # 5 reads of each column in all, two flips each
    torch.testing.assert_close(tile.running_mean, torch.stack([v0, v1], 1) * 0.96875, **close)
    torch.testing.assert_close(tile.past_mean, torch.stack([v0, v1], 1) * 0.9375, **close)
    torch.testing.assert_close(tile.buffer[:, 0], 1562.5 * v0, **close)
    assert tile.switched.tolist() == [False, False]
    assert tile.in_chopper.tolist() == [False, False]
    assert tile.transfer_counter == 5
    assert torch.count_nonzero(tile.slow.weight) == 0  # nothing crossed the threshold
