"""The parameters of a device fit: name, start value, bounds, whether it varies, its error.

``fit_measurements`` takes them in aihwkit's form, a dict ``name -> value`` (held fixed) or
``name -> (start, min, max)`` (varied within the bounds); an ``lmfit.Parameters`` object (or
anything with ``items()`` of objects with ``value``, ``min``, ``max``, ``vary``) is
accepted too, so scripts written for aihwkit's lmfit-based fitting keep working.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from analogtrain.errors import ArgumentError

__all__ = ["FitParameter", "FitParameters", "as_fit_parameters"]


@dataclass
class FitParameter:
    """One device-config field of a fit."""

    name: str
    value: float
    min: float = -math.inf
    max: float = math.inf
    vary: bool = True
    #: one standard error of the fitted value (NaN until fitted, or when it cannot be told)
    stderr: float = math.nan


class FitParameters(Mapping[str, FitParameter]):
    """Ordered ``name -> FitParameter``; ``valuesdict()`` gives ``name -> value`` as lmfit."""

    def __init__(self, parameters: list[FitParameter]) -> None:
        self._items = {p.name: p for p in parameters}

    def __getitem__(self, name: str) -> FitParameter:
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def valuesdict(self) -> dict[str, float]:
        """``name -> value`` of every parameter (fixed ones included)."""
        return {name: p.value for name, p in self._items.items()}

    def varied(self) -> list[FitParameter]:
        """The parameters the fit changes, in order."""
        return [p for p in self._items.values() if p.vary]

    def __repr__(self) -> str:
        rows = ", ".join(
            f"{p.name}={p.value:.6g}" + (f"±{p.stderr:.2g}" if math.isfinite(p.stderr) else "")
            for p in self._items.values()
        )
        return f"FitParameters({rows})"


def _number(name: str, what: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ArgumentError(f"fit parameter {name!r}: {what} must be a number, got {value!r}")
    out = float(value)
    if math.isnan(out):
        raise ArgumentError(f"fit parameter {name!r}: {what} is NaN")
    return out


def _checked(p: FitParameter) -> FitParameter:
    if not math.isfinite(p.value):
        raise ArgumentError(f"fit parameter {p.name!r}: value must be finite, got {p.value!r}")
    if p.vary and not p.min < p.max:
        raise ArgumentError(
            f"fit parameter {p.name!r}: min must be below max, got ({p.min!r}, {p.max!r})"
        )
    if p.vary and not p.min <= p.value <= p.max:
        raise ArgumentError(
            f"fit parameter {p.name!r}: start value {p.value!r} is outside [{p.min!r}, {p.max!r}]"
        )
    return p


def as_fit_parameters(parameters: Any) -> FitParameters:
    """Read the ``parameters`` argument of ``fit_measurements`` (see the module docstring)."""
    items: list[FitParameter] = []
    if isinstance(parameters, dict):
        for name, spec in parameters.items():
            if not isinstance(name, str):
                raise ArgumentError(f"fit parameter names must be strings, got {name!r}")
            if isinstance(spec, tuple):
                if len(spec) != 3:
                    raise ArgumentError(
                        f"fit parameter {name!r}: give (start, min, max), got {spec!r}"
                    )
                start, low, high = (
                    _number(name, w, v) for w, v in zip(("start", "min", "max"), spec)
                )
                items.append(FitParameter(name, start, low, high, True))
            else:
                items.append(FitParameter(name, _number(name, "value", spec), vary=False))
    elif hasattr(parameters, "items") and hasattr(parameters, "valuesdict"):
        for name, par in parameters.items():
            low = -math.inf if par.min is None else float(par.min)
            high = math.inf if par.max is None else float(par.max)
            items.append(FitParameter(str(name), float(par.value), low, high, bool(par.vary)))
    else:
        raise ArgumentError(
            f"parameters must be a dict (or lmfit.Parameters), got {type(parameters).__name__}"
        )
    if not any(p.vary for p in items):
        raise ArgumentError("no fit parameter varies: give at least one (start, min, max)")
    return FitParameters([_checked(p) for p in items])
