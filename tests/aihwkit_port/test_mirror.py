"""The analogtrain.aihwkit mirror: aihwkit 1.2.0's training module paths and names, holding
analogtrain's own objects (no logic of its own)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
import torch

import analogtrain.aihwkit as mirror
from analogtrain import configs, errors, optim, presets

#: aihwkit 1.2.0 module -> names scripts import from it (read from aihwkit 1.2.0's source)
AIHWKIT_NAMES = {
    "simulator.configs": [
        "SingleRPUConfig", "UnitCellRPUConfig", "DigitalRankUpdateRPUConfig",
        "FloatingPointRPUConfig", "build_config", "IOParameters", "UpdateParameters",
        "MappingParameter", "WeightClipParameter", "WeightModifierParameter",
        "WeightRemapParameter", "SimpleDriftParameter", "DriftParameter",
        "InputRangeParameter", "PrePostProcessingParameter", "RPUDataType",
        "BoundManagementType", "NoiseManagementType", "WeightNoiseType", "PulseType",
        "WeightModifierType", "WeightClipType", "WeightRemapType",
        "VectorUnitCellUpdatePolicy", "AnalogMVType", "FloatingPointDevice", "IdealDevice",
        "ConstantStepDevice", "LinearStepDevice", "SoftBoundsDevice", "SoftBoundsPmaxDevice",
        "SoftBoundsReferenceDevice", "ExpStepDevice", "PowStepDevice",
        "PowStepReferenceDevice", "PiecewiseStepDevice", "VectorUnitCell",
        "ReferenceUnitCell", "OneSidedUnitCell", "DifferenceUnitCell", "TransferCompound",
        "BufferedTransferCompound", "ChoppedTransferCompound", "DynamicTransferCompound",
        "MixedPrecisionCompound",
    ],
    "simulator.configs.devices": ["SoftBoundsDevice", "TransferCompound", "VectorUnitCell"],
    "simulator.configs.compounds": ["ChoppedTransferCompound", "OneSidedUnitCell"],
    "simulator.configs.utils": ["VectorUnitCellUpdatePolicy", "IOParameters"],
    "simulator.configs.helpers": ["build_config"],
    "simulator.parameters": ["IOParameters", "UpdateParameters", "MappingParameter"],
    "simulator.parameters.enums": ["PulseType", "RPUDataType", "NoiseManagementType"],
    "simulator.parameters.training": ["UpdateParameters"],
    "simulator.parameters.io": ["IOParameters"],
    "simulator.presets": ["TTv2EcRamPreset", "AGADIdealizedPreset", "PCMPresetUnitCell"],
    "simulator.presets.utils": ["PresetIOParameters", "StandardIOParameters"],
    "simulator.tiles": ["AnalogTile"],
    "simulator.rpu_base": ["cuda"],
    "optim": ["AnalogSGD", "AnalogAdam", "AnalogOptimizer"],
    "exceptions": ["AihwkitException", "TileModuleError", "ModuleError", "CudaError",
                   "ConfigError", "ArgumentError", "TileError"],
}  # fmt: skip


@pytest.mark.parametrize("module", sorted(AIHWKIT_NAMES))
def test_aihwkit_module_paths_export_aihwkit_names(module: str) -> None:
    mod = importlib.import_module(f"analogtrain.aihwkit.{module}")
    missing = [name for name in AIHWKIT_NAMES[module] if not hasattr(mod, name)]
    assert missing == []


def _mirror_modules() -> list[str]:
    return [
        info.name
        for info in pkgutil.walk_packages(mirror.__path__, "analogtrain.aihwkit.")
        if not info.name.startswith(("analogtrain.aihwkit.nn", "analogtrain.aihwkit.utils",
                                     "analogtrain.aihwkit.experiments"))
    ]  # fmt: skip


def test_mirror_modules_only_re_export_analogtrain_objects() -> None:
    names = _mirror_modules()
    assert "analogtrain.aihwkit.simulator.presets.configs" in names
    for name in names:
        mod = importlib.import_module(name)
        for attr in getattr(mod, "__all__", []):
            obj = getattr(mod, attr)
            origin = getattr(obj, "__module__", None) or getattr(obj, "__name__", "")
            if name == "analogtrain.aihwkit.simulator.rpu_base.cuda":
                continue  # is_compiled: the one answer about torch's CUDA
            assert origin.startswith("analogtrain."), (name, attr)
            assert not origin.startswith("analogtrain.aihwkit.") or attr == "cuda", (name, attr)


def test_mirror_objects_are_analogtrain_objects() -> None:
    from analogtrain.aihwkit.optim import AnalogSGD
    from analogtrain.aihwkit.simulator.configs import SingleRPUConfig
    from analogtrain.aihwkit.simulator.presets import TTv2EcRamPreset

    assert SingleRPUConfig is configs.SingleRPUConfig
    assert TTv2EcRamPreset is presets.TTv2EcRamPreset
    assert AnalogSGD is optim.AnalogSGD


def test_rpu_base_cuda_answers_torch_cuda_availability() -> None:
    from analogtrain.aihwkit.simulator.rpu_base import cuda

    assert cuda.is_compiled() is torch.cuda.is_available()


def test_aihwkit_exceptions_catch_analogtrain_errors() -> None:
    from analogtrain.aihwkit import exceptions as ex

    assert ex.AihwkitException is errors.AnalogTrainError
    assert issubclass(ex.TileModuleError, ex.TileError)
    for cls in (ex.ModuleError, ex.CudaError, ex.ConfigError, ex.ArgumentError, ex.TileError):
        assert issubclass(cls, ex.AihwkitException)
    with pytest.raises(ex.AihwkitException):
        configs.build_config("no-such-algorithm", configs.ConstantStepDevice)


def test_aihwkit_analog_tile_is_a_tile_module_with_bias() -> None:
    from analogtrain.aihwkit.simulator.configs import SingleRPUConfig
    from analogtrain.aihwkit.simulator.tiles import AnalogTile

    tile = AnalogTile(3, 4, SingleRPUConfig(), bias=True)
    assert tile.bias is not None and tile.bias.shape == (3,)  # digital bias by default
    config = SingleRPUConfig()
    config.mapping.digital_bias = False
    assert AnalogTile(3, 4, config, bias=True).tile.x_size == 5  # analog bias column
    assert tile.get_analog_ctx().analog_tile is tile
    assert tile(torch.zeros(2, 4)).shape == (2, 3)
