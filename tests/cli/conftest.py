"""Helpers for the command-line tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def check_png(path: Path, *, min_width: int = 300, min_height: int = 200) -> None:
    """The file is a PNG of a reasonable size whose pixels are not all alike."""
    import matplotlib.image as mpimg

    assert path.is_file(), f"{path} missing"
    img = mpimg.imread(path)
    assert img.ndim == 3 and img.shape[2] in (3, 4)
    assert img.shape[0] >= min_height and img.shape[1] >= min_width
    rgb = img[..., :3]
    assert float(np.std(rgb)) > 0.05  # real content, not a blank canvas
    assert float((rgb.mean(axis=2) < 0.5).mean()) > 0.002  # some dark strokes (lines, text)


@pytest.fixture
def png_check():
    return check_png
