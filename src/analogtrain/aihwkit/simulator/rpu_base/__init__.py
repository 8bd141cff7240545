"""Mirror of ``aihwkit.simulator.rpu_base`` (aihwkit's compiled module): only ``cuda``.

analogtrain has no compiled simulator; ``cuda.is_compiled()`` answers whether torch can use
a CUDA device, which is what scripts ask it for before moving a model to the GPU.
"""

from analogtrain.aihwkit.simulator.rpu_base import cuda

__all__ = ["cuda"]
