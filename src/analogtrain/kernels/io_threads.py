"""Thread use of the small tensor operations around the analog MVM and the pulsed update.

The IO non-idealities, the update's pulse scaling and the compounds' bookkeeping are many
element-wise operations and reductions on tensors of about ``batch x size`` elements. At
such sizes torch's intra-op pool buys nothing: waking a worker thread costs about as much as
the work on an idle machine, and up to a scheduler tick (milliseconds) per operation when
the other cores are busy. :func:`serial_torch_ops` runs a block of such operations on the
calling thread; :func:`pooled_matmul` gives a matrix product inside such a block the thread
count the block started with. Results do not depend on the thread count.

``torch.set_num_threads`` is process-wide: while a block runs, torch operations issued by
other Python threads also run on one thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor

__all__ = ["serial_torch_ops", "pooled_matmul"]


@contextmanager
def serial_torch_ops() -> Iterator[int]:
    """Run the block with one torch intra-op thread; yields the previous thread count."""
    threads = torch.get_num_threads()
    if threads == 1:
        yield 1
        return
    torch.set_num_threads(1)
    try:
        yield threads
    finally:
        torch.set_num_threads(threads)


def pooled_matmul(a: Tensor, b: Tensor, threads: int) -> Tensor:
    """``a @ b`` with ``threads`` intra-op threads (inside a :func:`serial_torch_ops` block)."""
    if threads <= 1 or torch.get_num_threads() == threads:
        return a @ b
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return a @ b
    finally:
        torch.set_num_threads(previous)
