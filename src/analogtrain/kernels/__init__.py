"""Pure numerical kernels: analog MVM with IO non-idealities, pulse trains, pulsed update.

The only state here is the choice of update backend (:mod:`analogtrain.kernels.update.backend`):
:func:`set_backend` / :func:`use_backend` with ``"auto"`` (the default: registered fast
implementations, a :class:`FastPathWarning` once per reason when a call falls back),
``"fast"`` (a call without a fast path raises :class:`FastPathUnavailable`) or
``"reference"`` (the plain torch path); :func:`get_backend`, :func:`use_reference` and
:func:`register_fast_update`.
"""

from analogtrain.kernels.update.backend import (
    FastPathUnavailable,
    FastPathWarning,
    get_backend,
    register_fast_update,
    set_backend,
    use_backend,
    use_reference,
)

__all__ = [
    "FastPathUnavailable",
    "FastPathWarning",
    "get_backend",
    "register_fast_update",
    "set_backend",
    "use_backend",
    "use_reference",
]

# Registers the numba update (compiled lazily on first use; numba is optional).
from analogtrain.kernels.update.cpu import fast_update as _fast_cpu  # noqa: E402,F401

# Registers the Triton update for CUDA tensors (imported on the first CUDA update only).
from analogtrain.kernels.update.cuda import fast_update as _fast_cuda  # noqa: E402,F401
