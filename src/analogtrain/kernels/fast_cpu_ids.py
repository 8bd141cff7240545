"""Integer ids shared by the Python side and the numba kernels of the fast CPU update.

Model ids select the scalar update-once rule (:mod:`.fast_cpu_models`); the ``C_*`` values
index the float64 vector of tile-global constants handed to the kernel. Plain integers, no
numba import.
"""

from __future__ import annotations

__all__ = [
    "CONSTANT_STEP",
    "LINEAR_STEP",
    "SOFT_BOUNDS_REFERENCE",
    "EXP_STEP",
    "POW_STEP",
    "PIECEWISE_STEP",
    "C_SIGMA",
    "C_MULT_NOISE",
    "C_A_UP",
    "C_A_DOWN",
    "C_GAMMA_UP",
    "C_GAMMA_DOWN",
    "C_A",
    "C_B",
    "C_STD_ADD",
    "C_STD_SLOPE",
    "C_COMPLEX",
    "N_CONSTS",
]

CONSTANT_STEP = 0
LINEAR_STEP = 1  # also SoftBounds and SoftBoundsPmax
SOFT_BOUNDS_REFERENCE = 2
EXP_STEP = 3
POW_STEP = 4  # also PowStepReference (with a reference)
PIECEWISE_STEP = 5

C_SIGMA = 0  # dw_min_std (cycle-to-cycle noise)
C_MULT_NOISE = 1  # 1.0: multiplicative noise (LinearStep, SoftBoundsReference)
C_A_UP = 2  # ExpStep A_up
C_A_DOWN = 3  # ExpStep A_down
C_GAMMA_UP = 4  # ExpStep gamma_up
C_GAMMA_DOWN = 5  # ExpStep gamma_down
C_A = 6  # ExpStep a
C_B = 7  # ExpStep b
C_STD_ADD = 8  # ExpStep dw_min_std_add
C_STD_SLOPE = 9  # ExpStep dw_min_std_slope
C_COMPLEX = 10  # 1.0: ExpStep complex noise is active
N_CONSTS = 11
