"""What the compiled update kernels need from a device array: its rule and the rule's values.

Every pulsed model with its own update rule (:attr:`PulsedDeviceArray.rule
<analogtrain.devices.pulsed.PulsedDeviceArray.rule>`) has a fast path; the rule's parameter
values (:meth:`~analogtrain.devices.pulsed.PulsedDeviceArray.rule_values`) are sorted into
three kinds, which fix the generated kernel's argument layout:

* ``c``: one value per cross-point (a buffer ``[out, in]``), stacked into ``cells [k, out, in]``;
* ``t``: a 1-D table (e.g. PiecewiseStep's nodes), padded into ``tables [n, length]``;
* ``s``: a number shared by the tile, collected in ``scalars`` (float64).

:func:`rule_tensors` returns them with the weights, bounds and the noise scales, or the
reason why the array has no fast path (a :class:`str`). :func:`cached_inputs` keeps what a
fast path derives from them (numpy views, device pointers) across calls, for as long as the
array holds the same tensors and values. Pure
Python/torch; no numba import.
"""

from __future__ import annotations

import operator
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
from torch import Tensor

from analogtrain.devices.pulsed import PulsedDeviceArray
from analogtrain.devices.rule import PulseRule

__all__ = [
    "RuleTensors",
    "cached_inputs",
    "has_fast_rule",
    "rule_tensors",
]

_T = TypeVar("_T")
#: the device-array attributes (numbers) that enter the kernels besides the rule's values
_SETTINGS = ("dw_min_std", "write_noise_std", "dw_min", "uses_persistent_weight")
#: buffers whose in-place changes a fast path sees through its views (the weights)
_VIEWED = frozenset({"weight", "persistent_weight"})


@dataclass(frozen=True)
class RuleTensors:
    """The fast-path description of a device array (module docstring), as torch tensors on
    the array's device: ``w_p``/``w_a`` persistent and apparent weight (the same tensor
    without write noise), ``b_max``/``b_min`` the clip bounds, ``ref`` the reference of the
    reference-read models (``None`` otherwise); ``sigma`` the c2c scale ``dw_min_std`` (the
    kernels draw no sample when it is 0) and ``wn_sigma`` the write-noise std."""

    rule: PulseRule
    layout: str
    w_p: Tensor
    w_a: Tensor
    b_max: Tensor
    b_min: Tensor
    cells: Tensor
    tables: Tensor
    scalars: list[float]
    ref: Tensor | None
    sigma: float
    wn_sigma: float


def has_fast_rule(array_cls: type) -> bool:
    """Whether ``array_cls`` defines its own update rule (what the fast paths compile).

    A subclass that inherits its parent's rule is not covered: it may change the response.
    """
    return isinstance(array_cls, type) and isinstance(array_cls.__dict__.get("rule"), PulseRule)


def _stack(values: list[Tensor], like: Tensor, shape: tuple[int, ...]) -> Tensor:
    if not values:
        return torch.zeros((0, *shape), dtype=like.dtype, device=like.device)
    return torch.stack([v.detach().to(like.dtype) for v in values])


def _tables(values: list[Tensor], like: Tensor) -> Tensor:
    length = max((v.numel() for v in values), default=1)
    out = torch.zeros((len(values), max(length, 1)), dtype=like.dtype, device=like.device)
    for k, v in enumerate(values):
        out[k, : v.numel()] = v.detach().to(like.dtype)
    return out


def _cached(array: Any, sources: list[Tensor], build: Any) -> Any:
    """``build()``, reused while the ``sources`` are the same tensors, unmodified.

    The cache holds the sources themselves, so their storage cannot be reused by others.
    """
    key = [(t.data_ptr(), t._version, t.dtype, t.device) for t in sources]
    cache = array.__dict__.get("_rule_inputs_cache")
    if cache is not None and len(cache[0]) == len(sources) and cache[1] == key:
        if all(a is b for a, b in zip(cache[0], sources)):
            return cache[2]
    value = build()
    array.__dict__["_rule_inputs_cache"] = (list(sources), key, value)
    return value


def rule_tensors(array: Any) -> RuleTensors | str:
    """The fast-path description of ``array`` (module docstring), or why it has none."""
    cls = type(array)
    if not isinstance(array, PulsedDeviceArray):
        return f"{cls.__name__} is not a pulsed device array"
    if not has_fast_rule(cls):
        return f"{cls.__name__} does not define its own update rule (subclass of a model?)"
    rule = cls.__dict__["rule"]
    values = array.rule_values()
    layout = "".join(
        ("c" if v.dim() == 2 else "t") if isinstance(v, Tensor) else "s" for v in values
    )
    cells = [v for v, kind in zip(values, layout) if kind == "c"]
    tables = [v for v, kind in zip(values, layout) if kind == "t"]
    scalars = [float(v) for v, kind in zip(values, layout) if kind == "s"]
    w = array.weight
    stacked = _cached(
        array, [*cells, *tables], lambda: (_stack(cells, w, tuple(w.shape)), _tables(tables, w))
    )
    wn_sigma = 0.0
    if array.uses_persistent_weight:
        wn_sigma = float(array.write_noise_std) * float(array.dw_min)
    return RuleTensors(
        rule=rule,
        layout=layout,
        w_p=array.persistent_weight,
        w_a=w,
        b_max=array.max_bound,
        b_min=array.min_bound,
        cells=stacked[0],
        tables=stacked[1],
        scalars=scalars,
        ref=array.rule_reference(),
        sigma=max(float(array.dw_min_std), 0.0),
        wn_sigma=wn_sigma,
    )


@dataclass(frozen=True)
class _Outside:
    """Where the rule values of an array that are not buffers live (resolved once)."""

    own: tuple[str, ...]  # plain instance attributes (numbers, lists)
    config: tuple[str, ...]  # fields of ``array.config``
    other: tuple[str, ...]  # anything else (properties, tensors that are not buffers)


def _outside_buffers(array: Any) -> _Outside:
    """The rule parameters (and the reference) of ``array`` that are not its buffers, by
    where :meth:`PulsedDeviceArray.rule_value` finds them."""
    names = list(getattr(type(array).__dict__.get("rule"), "parameters", ()))
    if getattr(array, "reference_parameter", None):
        names.append(array.reference_parameter)
    own_dict = array.__dict__
    own, config, other = [], [], []
    for name in names:
        if name in array._buffers:
            continue
        if name in own_dict and not isinstance(own_dict[name], Tensor):
            own.append(name)
        elif name not in own_dict and not hasattr(array, name):
            config.append(name)
        else:
            other.append(name)
    return _Outside(tuple(own), tuple(config), tuple(other))


def _value_key(value: Any) -> Any:
    """A comparable stand-in for a value (tensors by identity, storage and version: a key
    keeps no tensor, so comparing keys never compares tensors elementwise)."""
    if isinstance(value, Tensor):
        return ("tensor", id(value), value.data_ptr(), value._version)
    return value


def _snapshot(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """``values`` with every list copied (a config's table may later change in place)."""
    return tuple(list(v) if isinstance(v, list) else v for v in values)


_DATA_PTR = Tensor.data_ptr
_VERSION = operator.attrgetter("_version")


@dataclass(frozen=True)
class _Entry:
    """One cached value and what it was derived from (see :func:`cached_inputs`)."""

    ids: tuple[int, ...]  # id of every buffer (None included), in registration order
    tensors: tuple[Tensor, ...]  # the buffers that are tensors (kept alive: unique ids)
    versioned: tuple[Tensor, ...]  # those of them that are not the weights
    outside: _Outside  # rule parameters that are not buffers
    rest: tuple[Any, ...]  # storage, versions, outside values and settings at build time
    value: Any


def _rest(array: Any, tensors: tuple[Tensor, ...], versioned: tuple[Tensor, ...],
          outside: _Outside) -> tuple[Any, ...]:  # fmt: skip
    own = array.__dict__
    config = own.get("config")
    return (
        tuple(map(_DATA_PTR, tensors)),
        tuple(map(_VERSION, versioned)),
        tuple(map(own.get, outside.own)),
        tuple([getattr(config, n, None) for n in outside.config]),
        tuple([_value_key(getattr(array, n, None)) for n in outside.other]),
        tuple(map(own.get, _SETTINGS)),
    )


#: the cached inputs of each array, per fast path: array -> {slot: _Entry}
_CACHE: weakref.WeakKeyDictionary[Any, dict[str, _Entry]] = weakref.WeakKeyDictionary()


def cached_inputs(array: Any, slot: str, build: Callable[[], _T]) -> _T:
    """``build()`` for ``array``, reused while the array holds the same tensors and values.

    What the fast-path inputs of an array depend on, and so what is compared: the identity
    and storage (``data_ptr``) of every buffer (``.to()``, ``.double()``,
    ``register_buffer``, ``torch.utils.swap_tensors`` or ``.data =`` change them); the
    version of every buffer but the weights (``load_state_dict`` or
    ``set_hidden_parameters`` write the device parameters in place, and the kernels take
    copies of some: ``cells``, ``tables``); the rule values that are not buffers (attributes
    or config fields, see :meth:`PulsedDeviceArray.rule_value`) and the noise settings
    (``dw_min_std``, ``write_noise_std``, ``dw_min``), by value. The weights are written in
    place by every update and the kernels work on views of them, so their versions are left
    out. A hit costs a few microseconds.

    ``slot`` names the fast path (several may cache different things for one array). A
    value that is a :class:`str` or falsy (a decline) is returned but not kept. The cache
    holds no reference to the array (it is neither copied nor pickled with it); an entry
    keeps the buffers of its time alive, so their ids stay unique while it is compared.
    """
    buffers = array._buffers
    ids = tuple(map(id, buffers.values()))
    entries = _CACHE.get(array)
    hit = entries.get(slot) if entries is not None else None
    if hit is not None and hit.ids == ids:
        if hit.rest == _rest(array, hit.tensors, hit.versioned, hit.outside):
            return hit.value
    value = build()
    if isinstance(value, str) or not value:
        return value
    tensors = tuple(t for t in buffers.values() if t is not None)
    versioned = tuple(t for name, t in buffers.items() if t is not None and name not in _VIEWED)
    outside = _outside_buffers(array)
    rest = tuple(_snapshot(part) for part in _rest(array, tensors, versioned, outside))
    if entries is None:
        entries = {}
        _CACHE[array] = entries
    entries[slot] = _Entry(ids, tensors, versioned, outside, rest, value)
    return value
