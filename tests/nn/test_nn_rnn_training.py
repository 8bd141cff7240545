"""Recurrent networks on pulsed tiles learn a short sequence task that needs memory.

Task: inputs ``x_t = ±1`` (fair coin), target ``y_t = x_{t-1} / 2`` for ``t >= 1``: the
network has to carry one input through its state. Predicting 0 (no memory) scores an MSE of
``E[y²] = 0.25``; a trained network must explain most of that variance (MSE < 0.1, on 256
held-out sequences) and reach under 40 % of its initial loss. Pulsed tiles: ConstantStep
devices, ``dw_min = 0.001``, weights bounded to ``±1``. Seeds are fixed; with them the test
MSE goes 0.285 -> 0.026 (LSTM, 100 steps), 0.236 -> 0.015 (GRU, 100 steps) and
0.307 -> 0.007 (vanilla RNN, 60 steps); other seeds tried (2, 3) end at 0.068 and 0.008 for
the LSTM.
"""

from __future__ import annotations

import pytest
import torch

from analogtrain.configs import ConstantStepDevice, SingleRPUConfig
from analogtrain.nn import AnalogGRU, AnalogLinear, AnalogLSTM, AnalogRNN, AnalogVanillaRNNCell
from analogtrain.optim import AnalogSGD

NO_MEMORY_MSE = 0.25


def _config() -> SingleRPUConfig:
    return SingleRPUConfig(device=ConstantStepDevice(dw_min=0.001, w_max=1.0, w_min=-1.0))


def _sequences(gen: torch.Generator, n: int, length: int = 5) -> tuple[torch.Tensor, ...]:
    x = torch.randint(0, 2, (length, n, 1), generator=gen).float() * 2 - 1  # [T, B, 1]
    return x, x[:-1] * 0.5


def _build(kind: str) -> AnalogRNN:
    if kind == "lstm":
        return AnalogLSTM(1, 4, rpu_config=_config())
    if kind == "gru":
        return AnalogGRU(1, 4, rpu_config=_config())
    return AnalogRNN(AnalogVanillaRNNCell, 1, 4, rpu_config=_config())


@pytest.mark.parametrize(("kind", "steps"), [("lstm", 100), ("gru", 100), ("rnn", 60)])
def test_pulsed_recurrent_network_learns_a_delay_task(kind, steps):
    torch.manual_seed(1)
    rnn = _build(kind)
    head = AnalogLinear(4, 1, rpu_config=_config())
    opt = AnalogSGD(list(rnn.parameters()) + list(head.parameters()), lr=0.5)
    gen = torch.Generator().manual_seed(1)
    x_test, y_test = _sequences(gen, 256)

    def loss(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        out, _ = rnn(x)
        return ((head(out)[1:] - y) ** 2).mean()

    with torch.no_grad():
        initial = loss(x_test, y_test).item()
    for _ in range(steps):
        x, y = _sequences(gen, 16)
        opt.zero_grad()
        loss(x, y).backward()
        opt.step()
    with torch.no_grad():
        final = loss(x_test, y_test).item()
    assert final < 0.4 * NO_MEMORY_MSE
    assert final < 0.4 * initial
