"""Configurations written once as plain data and built in both libraries.

analogtrain keeps aihwkit's class and field names, so one description such as::

    {"class": "SingleRPUConfig",
     "device": {"class": "ConstantStepDevice", "construction_seed": 7},
     "update": {"class": "UpdateParameters", "desired_bl": 5,
                "pulse_type": {"enum": "PulseType", "name": "STOCHASTIC"}}}

builds the same configuration in either library given a function that finds a class (or a
factory such as ``build_config``) by its name. A ``"set"`` entry assigns attributes after
construction, by dotted path: ``{"class": "build_config", "algorithm": "agad", ...,
"set": {"device.transfer_forward": {...}}}``.

This module imports only the standard library: it also runs inside the aihwkit reference
interpreter, which does not have analogtrain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["build", "cls", "enum"]

Lookup = Callable[[str], Any]


def cls(name: str, *, attrs: Mapping[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """Description of ``name(**fields)`` (fields may themselves be descriptions), followed by
    the attribute assignments ``attrs`` (dotted path -> description)."""
    spec: dict[str, Any] = {"class": name, **fields}
    if attrs:
        spec["set"] = dict(attrs)
    return spec


def enum(enum_name: str, member: str) -> dict[str, str]:
    """Description of the enum member ``enum_name.member``."""
    return {"enum": enum_name, "name": member}


def build(spec: Any, lookup: Lookup) -> Any:
    """The object described by ``spec``; class and enum names are resolved by ``lookup``."""
    if isinstance(spec, Mapping):
        if "enum" in spec:
            return getattr(lookup(spec["enum"]), spec["name"])
        if "class" in spec:
            kwargs = {k: build(v, lookup) for k, v in spec.items() if k not in ("class", "set")}
            obj = lookup(spec["class"])(**kwargs)
            for path, value in spec.get("set", {}).items():
                *parents, name = path.split(".")
                target = obj
                for parent in parents:
                    target = getattr(target, parent)
                setattr(target, name, build(value, lookup))
            return obj
        return {k: build(v, lookup) for k, v in spec.items()}
    if isinstance(spec, list):
        return [build(v, lookup) for v in spec]
    return spec
