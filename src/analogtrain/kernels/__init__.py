"""Pure numerical kernels: analog MVM with IO non-idealities, pulse trains, pulsed update.

The only state here is the choice of update backend: :func:`set_backend` (``"auto"``, the
default, uses registered fast implementations; ``"reference"`` forces the plain torch path),
:func:`get_backend`, :func:`use_reference` and :func:`register_fast_update`.
"""

from analogtrain.kernels.backend import (
    get_backend,
    register_fast_update,
    set_backend,
    use_reference,
)

__all__ = ["get_backend", "register_fast_update", "set_backend", "use_reference"]

# Registers the numba update (compiled lazily on first use; numba is optional).
from analogtrain.kernels import fast_cpu as _fast_cpu  # noqa: E402,F401

# Registers the Triton update for CUDA tensors (imported on the first CUDA update only).
from analogtrain.kernels import fast_cuda as _fast_cuda  # noqa: E402,F401
