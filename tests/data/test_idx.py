"""IDX parser: round trips for every dtype, and clear errors for corrupt files."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from analogtrain.data.idx import IDX_DTYPES, parse_idx, read_idx, write_idx
from analogtrain.errors import ArgumentError


def _header(code: int, dims: tuple[int, ...]) -> bytes:
    return bytes([0, 0, code, len(dims)]) + np.asarray(dims, dtype=">u4").tobytes()


@pytest.mark.parametrize("code", sorted(IDX_DTYPES))
@pytest.mark.parametrize("compress", [False, True])
def test_round_trip_every_dtype(tmp_path, code, compress):
    dtype = IDX_DTYPES[code].newbyteorder("=")
    rng = np.random.default_rng(code)
    arr = (rng.normal(size=(3, 4, 5)) * 50).astype(dtype)
    path = tmp_path / "a.idx"
    write_idx(path, arr, compress=compress)
    back = read_idx(path)
    assert back.dtype == dtype
    assert back.shape == (3, 4, 5)
    np.testing.assert_array_equal(back, arr)


def test_hand_made_bytes_are_big_endian():
    # two int16 values 0x0102 = 258 and -2, one dimension of length 2
    raw = _header(0x0B, (2,)) + bytes([0x01, 0x02, 0xFF, 0xFE])
    np.testing.assert_array_equal(parse_idx(raw), np.array([258, -2], dtype=np.int16))


def test_mnist_like_header(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    path = tmp_path / "train-images-idx3-ubyte"
    write_idx(path, images)
    assert path.read_bytes()[:4] == bytes([0, 0, 8, 3])  # the famous 0x00000803
    assert read_idx(path).shape == (2, 28, 28)


def test_missing_file(tmp_path):
    with pytest.raises(ArgumentError, match="not found"):
        read_idx(tmp_path / "nope")


def test_truncated_data(tmp_path):
    raw = _header(0x08, (4, 3)) + bytes(11)  # one byte short
    (tmp_path / "t").write_bytes(raw)
    with pytest.raises(ArgumentError, match=r"truncated.*\(4, 3\).*need 24 bytes.*has 23"):
        read_idx(tmp_path / "t")


def test_trailing_bytes():
    with pytest.raises(ArgumentError, match="trailing bytes"):
        parse_idx(_header(0x08, (2,)) + bytes(3))


def test_truncated_header():
    with pytest.raises(ArgumentError, match="truncated IDX header"):
        parse_idx(bytes([0, 0, 8, 3]) + bytes(5))
    with pytest.raises(ArgumentError, match="only 2 bytes"):
        parse_idx(b"\x00\x00")


def test_bad_magic():
    with pytest.raises(ArgumentError, match="bad IDX magic number 0x01000801"):
        parse_idx(bytes([1, 0, 8, 1, 0, 0, 0, 0]))


def test_unknown_dtype_code():
    with pytest.raises(ArgumentError, match="unknown IDX dtype code 0x07"):
        parse_idx(_header(0x07, (1,)) + bytes(1))


def test_zero_dimensions():
    with pytest.raises(ArgumentError, match="0 dimensions"):
        parse_idx(bytes([0, 0, 8, 0]))


def test_corrupt_gzip(tmp_path):
    good = gzip.compress(_header(0x08, (100,)) + bytes(100))
    (tmp_path / "c.gz").write_bytes(good[: len(good) // 2])
    with pytest.raises(ArgumentError, match="corrupt gzip"):
        read_idx(tmp_path / "c.gz")


def test_write_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(ArgumentError, match="uint16"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=np.uint16))
