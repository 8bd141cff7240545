"""Small data sets for examples and tests, read from local copies (nothing is downloaded).

:func:`load_digits` gives scikit-learn's bundled 8x8 handwritten digits (``data`` extra).
"""

from analogtrain.data.digits import DigitsSplits, load_digits

__all__ = ["DigitsSplits", "load_digits"]
