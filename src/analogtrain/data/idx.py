"""Reader (and a small writer, for tests and tooling) of the IDX file format.

IDX is the container format of the MNIST and Fashion-MNIST distributions. A file is::

    magic:  4 bytes  = 0x00 0x00 <dtype code> <number of dimensions n>
    dims:   n big-endian unsigned 32-bit integers
    data:   prod(dims) items of the dtype, big-endian, row-major

with the dtype codes 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
0x0E float64. Files may be gzip-compressed (detected by the gzip magic bytes, not by the
file name). Every malformed file raises :class:`analogtrain.errors.ArgumentError` naming
the file and what is wrong with it.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from analogtrain.errors import ArgumentError

__all__ = ["IDX_DTYPES", "read_idx", "parse_idx", "write_idx"]

# dtype code -> big-endian numpy dtype
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_GZIP_MAGIC = b"\x1f\x8b"
# A guard against a corrupt header claiming an absurd size before we allocate anything.
_MAX_ITEMS = 1 << 34


def parse_idx(raw: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode the (uncompressed) bytes of an IDX file into a native-endian numpy array.

    ``name`` is only used in error messages.
    """
    if len(raw) < 4:
        raise ArgumentError(f"{name}: not an IDX file (only {len(raw)} bytes, header needs 4)")
    if raw[0] != 0 or raw[1] != 0:
        raise ArgumentError(
            f"{name}: bad IDX magic number 0x{raw[:4].hex()} (must start with 0x0000)"
        )
    code, ndim = raw[2], raw[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ArgumentError(f"{name}: unknown IDX dtype code 0x{code:02X} (known: {known})")
    if ndim == 0:
        raise ArgumentError(f"{name}: IDX header declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ArgumentError(
            f"{name}: truncated IDX header ({len(raw)} bytes, {ndim} dimensions need {header})"
        )
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    n_items = int(np.prod(dims, dtype=np.int64)) if dims else 0
    if n_items > _MAX_ITEMS:
        raise ArgumentError(f"{name}: IDX dimensions {dims} are implausibly large")
    dtype = IDX_DTYPES[code]
    expected = header + n_items * dtype.itemsize
    if len(raw) != expected:
        kind = "truncated" if len(raw) < expected else "has trailing bytes"
        raise ArgumentError(
            f"{name}: IDX file {kind}: dimensions {dims} of {dtype.name} need "
            f"{expected} bytes, file has {len(raw)}"
        )
    data = np.frombuffer(raw, dtype=dtype, count=n_items, offset=header)
    return data.astype(dtype.newbyteorder("="), copy=True).reshape(dims)


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (plain or gzip-compressed) into a native-endian numpy array."""
    p = Path(path)
    if not p.is_file():
        raise ArgumentError(f"IDX file not found: {p}")
    raw = p.read_bytes()
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise ArgumentError(f"{p}: corrupt gzip stream ({exc})") from exc
    return parse_idx(raw, name=str(p))


def write_idx(path: str | os.PathLike[str], array: np.ndarray, *, compress: bool = False) -> None:
    """Write ``array`` as an IDX file (gzip-compressed when ``compress``).

    The dtype must be one of those IDX can hold (see :data:`IDX_DTYPES`).
    """
    arr = np.asarray(array)
    code = next((c for c, dt in IDX_DTYPES.items() if dt.newbyteorder("=") == arr.dtype), None)
    if code is None:
        raise ArgumentError(f"dtype {arr.dtype} cannot be stored in an IDX file")
    if arr.ndim == 0 or arr.ndim > 255:
        raise ArgumentError(f"IDX needs 1 to 255 dimensions, got {arr.ndim}")
    header = bytes([0, 0, code, arr.ndim]) + np.asarray(arr.shape, dtype=">u4").tobytes()
    payload = header + np.ascontiguousarray(arr, dtype=IDX_DTYPES[code]).tobytes()
    if compress:
        payload = gzip.compress(payload)
    Path(path).write_bytes(payload)
