"""A compatibility patch for Triton's interpreter (``TRITON_INTERPRET=1``), kept out of the
production kernels: :mod:`.fast_update` applies it before it imports a
generated Triton module, and only in interpreter mode."""

from __future__ import annotations

import os

__all__ = ["interpreting", "patch_interpreter_scalars"]


def interpreting() -> bool:
    """Whether Triton runs its kernels in the interpreter (``TRITON_INTERPRET`` set)."""
    return os.environ.get("TRITON_INTERPRET", "0") not in ("", "0")


def patch_interpreter_scalars() -> None:
    """Let Triton's interpreter use scalar tensors as loop bounds under numpy >= 2.4.

    The interpreter (Triton 3.x) holds a scalar as a one-element numpy array and converts it
    with ``int(array)``, which numpy 2.4 refuses for arrays with a dimension. The patch
    converts through ``reshape(-1)[0]`` instead; it only touches interpreter mode.
    """
    from triton.runtime import interpreter

    original = interpreter._patch_lang_tensor
    if getattr(original, "_analogtrain_patched", False):
        return

    def patched(tensor, scope):  # type: ignore[no-untyped-def]
        original(tensor, scope)
        scope.set_attr(tensor, "__index__", lambda self: int(self.handle.data.reshape(-1)[0]))

    patched._analogtrain_patched = True  # type: ignore[attr-defined]
    interpreter._patch_lang_tensor = patched
