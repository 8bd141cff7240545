"""Thread use of the small tensor operations around the analog MVM and the pulsed update.

The IO non-idealities, the update's pulse scaling and the compounds' bookkeeping are many
element-wise operations and reductions on tensors of about ``batch x size`` elements. At
such sizes torch's intra-op pool buys nothing: waking a worker thread costs about as much as
the work on an idle machine, and up to a scheduler tick (milliseconds) per operation when
the other cores are busy. :func:`serial_torch_ops` marks a block of such operations (the
library's MVM, update and compound bookkeeping); :func:`pooled_matmul` gives a matrix
product inside such a block the thread count the block started with. Results do not depend
on the thread count.

By default the marked blocks change nothing: ``torch.set_num_threads`` is process-wide (while
a block runs, torch operations issued by other Python threads would also run on one thread),
so a library call must not touch it behind the user's back. A user who wants the serial
blocks opts in, for the process or a region, with :func:`serial_small_ops`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor

__all__ = ["pooled_matmul", "serial_opted_in", "serial_small_ops", "serial_torch_ops"]

_opted_in = {"serial": False}


@contextmanager
def serial_small_ops(enabled: bool = True) -> Iterator[None]:
    """Opt in (or out) of running the library's small tensor blocks on one torch thread.

    Inside, each such block sets ``torch.set_num_threads(1)`` for its duration and restores
    the user's count after (process-wide while it runs: only for single-threaded programs).
    """
    previous = _opted_in["serial"]
    _opted_in["serial"] = bool(enabled)
    try:
        yield
    finally:
        _opted_in["serial"] = previous


def serial_opted_in() -> bool:
    """Whether the user opted in to serial small-op blocks (:func:`serial_small_ops`); when
    not, :func:`serial_torch_ops` changes nothing and a caller may skip it."""
    return _opted_in["serial"]


@contextmanager
def serial_torch_ops() -> Iterator[int]:
    """Run the block with one torch intra-op thread if the user opted in
    (:func:`serial_small_ops`), else unchanged; yields the thread count to give products."""
    threads = torch.get_num_threads()
    if threads == 1 or not _opted_in["serial"]:
        yield threads
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
