"""The Triton update for CUDA tensors: the registered fast path (:mod:`.fast_update`), the
pulse-kernel template and the rule operations that the generated modules use, and the patch
for Triton's interpreter (:mod:`.triton_interpreter`, kept out of the production kernels)."""
