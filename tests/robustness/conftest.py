"""Every robustness test starts from the same torch global seed (layers draw their initial
weights and tile seeds from it)."""

import pytest
import torch


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(4321)
