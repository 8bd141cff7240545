"""`convert_to_analog`: replace the digital layers of a model by analog ones (compounds.md 4.4).

Every converted layer gets its own deep copy of the configuration and starts from the
digital layer's weights (written with ``set_weights``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

from torch import nn

from analogtrain.errors import ArgumentError
from analogtrain.nn.container import AnalogSequential
from analogtrain.nn.conv import AnalogConv1d, AnalogConv2d
from analogtrain.nn.conv3d import AnalogConv3d
from analogtrain.nn.layer_base import AnalogLayerBase
from analogtrain.nn.linear import AnalogLinear
from analogtrain.nn.mapped import (
    AnalogConv1dMapped,
    AnalogConv2dMapped,
    AnalogConv3dMapped,
    AnalogLinearMapped,
)

__all__ = [
    "AnalogWrapper",
    "convert_to_analog",
    "convert_to_digital",
    "default_conversion_map",
    "default_digital_conversion_set",
    "default_mapped_conversion_map",
    "specific_rpu_config_id",
]

RPUConfigFun = Callable[[str, nn.Module, Any], Any]


def default_conversion_map() -> dict[type[nn.Module], type[nn.Module]]:
    """``{Linear: AnalogLinear, Conv1d: AnalogConv1d, Conv2d: AnalogConv2d,
    Conv3d: AnalogConv3d, Sequential: AnalogSequential}``."""
    return {
        nn.Linear: AnalogLinear,
        nn.Conv1d: AnalogConv1d,
        nn.Conv2d: AnalogConv2d,
        nn.Conv3d: AnalogConv3d,
        nn.Sequential: AnalogSequential,
    }


def default_mapped_conversion_map() -> dict[type[nn.Module], type[nn.Module]]:
    """The map to the mapped layers (pass it as ``conversion_map``): ``{Linear:
    AnalogLinearMapped, Conv1d/2d/3d: AnalogConv1d/2d/3dMapped, Sequential: AnalogSequential}``
    (aihwkit 1.2.0 keeps the same table, unexported, in ``aihwkit.nn.conversion``)."""
    return {
        nn.Linear: AnalogLinearMapped,
        nn.Conv1d: AnalogConv1dMapped,
        nn.Conv2d: AnalogConv2dMapped,
        nn.Conv3d: AnalogConv3dMapped,
        nn.Sequential: AnalogSequential,
    }


class AnalogWrapper(AnalogLayerBase):
    """Base of the classes :func:`convert_to_analog` creates to give a custom root module
    the analog helper methods (``analog_tiles()``, ``get_weights()`` ...).

    The created class ``Analog<Name>Wrapper`` derives from the module's own class; it is
    made on the fly, so pickling goes through :func:`_rebuild_wrapped`.
    """

    _wrapped_class: type

    @classmethod
    def to_digital(cls, module: AnalogWrapper, *args: Any, **kwargs: Any) -> nn.Module:
        """The wrapped module as an instance of its own class again, sharing this one's
        attributes (children, parameters and buffers by reference)."""
        digital = module._wrapped_class.__new__(module._wrapped_class)
        digital.__dict__ = module.__dict__
        return digital

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_rebuild_wrapped, (self._wrapped_class,), dict(self.__dict__))


_WRAPPED: dict[type, type] = {}


def _wrapper_class(cls: type) -> type:
    if cls not in _WRAPPED:
        _WRAPPED[cls] = type(
            f"Analog{cls.__name__}Wrapper", (AnalogWrapper, cls), {"_wrapped_class": cls}
        )
    return _WRAPPED[cls]


def _rebuild_wrapped(cls: type) -> nn.Module:
    """An empty instance of the wrapper class of ``cls`` (its state is set by pickle)."""
    wrapper = _wrapper_class(cls)
    return wrapper.__new__(wrapper)


def _wrap_root(module: nn.Module) -> nn.Module:
    module.__class__ = _wrapper_class(type(module))
    return module


def _convert_one(
    module: nn.Module,
    name: str,
    rpu_config: Any,
    conversion_map: dict[type[nn.Module], type[nn.Module]],
    specific_rpu_config_fun: RPUConfigFun | None,
    tile_module_class: type[nn.Module] | None,
) -> nn.Module:
    config = copy.deepcopy(rpu_config)
    if specific_rpu_config_fun is not None:
        config = specific_rpu_config_fun(name, module, config)
    return conversion_map[type(module)].from_digital(module, config, tile_module_class)


def convert_to_analog(
    module: nn.Module,
    rpu_config: Any,
    tile_module_class: type[nn.Module] | None = None,
    conversion_map: dict[type[nn.Module], type[nn.Module]] | None = None,
    specific_rpu_config_fun: RPUConfigFun | None = None,
    module_name: str = "",
    ensure_analog_root: bool = True,
    exclude_modules: Iterable[str] | None = None,
    inplace: bool = False,
    verbose: bool = False,
) -> nn.Module:
    """An analog version of ``module``: every ``Linear``/``Conv1d``/``Conv2d``/``Conv3d`` (or the
    types in ``conversion_map``) replaced by its analog counterpart.

    Args:
        module: the digital model (deep-copied first unless ``inplace``).
        rpu_config: configuration; every layer receives its own deep copy.
        tile_module_class: tile module class passed to every new layer.
        conversion_map: ``{digital type: analog type}`` (exact types); the default is
            :func:`default_conversion_map`.
        specific_rpu_config_fun: ``fn(layer_name, layer, config) -> config`` to choose a
            per-layer configuration.
        module_name: name of ``module`` inside its parent (used in recursion).
        ensure_analog_root: give a custom root module the analog helper methods.
        exclude_modules: dotted names of modules to leave digital.
        inplace: convert ``module`` itself.
        verbose: print each conversion.
    """
    if conversion_map is None:
        conversion_map = default_conversion_map()
    if not isinstance(conversion_map, dict):
        raise ArgumentError(f"Conversion map should be a dictionary, got {type(conversion_map)}")
    excluded = set(exclude_modules or ())
    if not inplace:
        module = copy.deepcopy(module)
    args = (rpu_config, conversion_map, specific_rpu_config_fun, tile_module_class)

    if type(module) in conversion_map and module_name not in excluded:
        module = _convert_one(module, module_name, *args)
    for name, child in list(module.named_children()):
        full = f"{module_name}.{name}" if module_name else name
        if full in excluded:
            continue
        if any(True for _ in child.children()):
            new = convert_to_analog(
                child,
                rpu_config,
                tile_module_class,
                conversion_map,
                specific_rpu_config_fun,
                module_name=full,
                ensure_analog_root=False,
                exclude_modules=excluded,
                inplace=True,
                verbose=verbose,
            )
        elif type(child) in conversion_map:
            new = _convert_one(child, full, *args)
        else:
            continue
        if verbose:
            print(f"converted {full}: {type(child).__name__} -> {type(new).__name__}")
        setattr(module, name, new)

    if module_name == "" and ensure_analog_root and not isinstance(module, AnalogLayerBase):
        module = _wrap_root(module)
    return module


def specific_rpu_config_id(module_name: str, module: nn.Module, rpu_config: Any) -> Any:
    """The ``specific_rpu_config_fun`` that changes nothing: returns ``rpu_config`` (aihwkit's
    default for that argument; ``None`` there means the same)."""
    return rpu_config


def default_digital_conversion_set() -> set[type[nn.Module]]:
    """The analog classes :func:`convert_to_digital` replaces by default: every value of
    :func:`default_conversion_map` and :func:`default_mapped_conversion_map` (the wrapper
    classes of custom roots are always unwrapped)."""
    return {*default_conversion_map().values(), *default_mapped_conversion_map().values()}


def _to_digital(module: nn.Module, name: str) -> nn.Module:
    to_digital = getattr(type(module), "to_digital", None)
    if to_digital is None:
        raise ArgumentError(
            f"convert_to_digital: module {name or '<root>'!r} of type {type(module).__name__} is "
            "in conversion_set but has no to_digital classmethod"
        )
    digital = to_digital(module)
    if not isinstance(module, (AnalogWrapper, AnalogSequential)):
        tensors = [*module.parameters(), *module.buffers()]
        if tensors and len({t.device for t in tensors}) == 1:
            digital = digital.to(tensors[0].device)
    return digital


def convert_to_digital(
    module: nn.Module,
    conversion_set: set[type[nn.Module]] | None = None,
    module_name: str = "",
    inplace: bool = False,
) -> nn.Module:
    """A digital torch model from an analog one: every analog layer whose exact type is in
    ``conversion_set`` becomes its torch counterpart holding the layer's current weights as
    :meth:`get_weights` reads them (the logical weights, no read noise), and a root made by
    :func:`convert_to_analog` gets its own class back. The inverse of
    :func:`convert_to_analog` for the layers it converts (aihwkit's
    ``aihwkit.nn.conversion.convert_to_digital``).

    Args:
        module: the analog model (deep-copied first unless ``inplace``).
        conversion_set: the analog classes to replace (exact types; each needs a
            ``to_digital`` classmethod); default :func:`default_digital_conversion_set`.
        module_name: name of ``module`` inside its parent (used in recursion and errors).
        inplace: convert ``module`` itself.

    Raises:
        ArgumentError: ``conversion_set`` is not a set, or names a class without ``to_digital``.

    Note:
        A digital layer is moved to the device of its analog layer's tensors when they are all
        on one device (its tensors are created on the CPU otherwise).
    """
    if conversion_set is None:
        conversion_set = default_digital_conversion_set()
    if not isinstance(conversion_set, set):
        raise ArgumentError(
            f"convert_to_digital: conversion_set should be a set, got {type(conversion_set)}"
        )
    if not inplace:
        module = copy.deepcopy(module)
    if type(module) in conversion_set or isinstance(module, AnalogWrapper):
        module = _to_digital(module, module_name)
    converted: dict[str, nn.Module] = {}
    for name, child in module.named_children():
        full = f"{module_name}.{name}" if module_name else name
        if any(True for _ in child.children()):
            converted[name] = convert_to_digital(child, conversion_set, full, inplace=True)
        elif type(child) in conversion_set:
            converted[name] = _to_digital(child, full)
    for name, new in converted.items():
        module._modules[name] = new
    return module
