"""The numba update for CPU tensors: the registered fast path (:mod:`.fast_update`), its
compiled kernels (:mod:`.numba_kernels`), counter-based random numbers (:mod:`.rng`), the
pulse-kernel template and the rule operations that the generated modules use."""
