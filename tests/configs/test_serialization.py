"""to_dict/from_dict and save/load: exact round trips, strict loading."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from enum import Enum
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analogtrain import configs as c
from analogtrain import presets
from analogtrain.configs.base import ConfigBase
from analogtrain.configs.serialization import FORMAT, FORMAT_VERSION
from analogtrain.errors import ConfigError
from analogtrain.nn import AnalogTileModule
from analogtrain.nn.transfer_tile import TorchTransferTile

CLASSES = [
    getattr(c, n)
    for n in c.__all__
    if isinstance(getattr(c, n), type) and issubclass(getattr(c, n), ConfigBase)
] + list(presets.PRESET_CLASSES)

_floats = st.floats(allow_nan=False, width=64)
_numbers = st.one_of(_floats, st.integers(-(2**40), 2**40))


def _concrete(base: type) -> list[type]:
    return [k for k in CLASSES if issubclass(k, base)]


def _strategy(tp: Any, depth: int) -> st.SearchStrategy:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return st.one_of([_strategy(a, depth) for a in typing.get_args(tp)])
    if origin is list:
        (item,) = typing.get_args(tp)
        return st.lists(_strategy(item, depth), max_size=3 if depth < 2 else 0)
    if origin is dict:
        return st.dictionaries(st.text(max_size=5), st.one_of(_numbers, st.text(max_size=5)))
    if tp is type(None):
        return st.none()
    if tp is float:
        return _numbers
    if tp is int:
        return st.integers(-(2**40), 2**40)
    if tp is bool:
        return st.booleans()
    if tp is str:
        return st.text(max_size=10)
    if tp is type:  # tile_class: a registered tile module class
        return st.sampled_from([AnalogTileModule, TorchTransferTile])
    if isinstance(tp, type) and issubclass(tp, Enum):
        return st.sampled_from(list(tp))
    if isinstance(tp, type) and issubclass(tp, ConfigBase):
        return st.sampled_from(_concrete(tp)).flatmap(lambda k: config_strategy(k, depth + 1))
    raise AssertionError(f"no strategy for {tp!r}")


def config_strategy(cls: type, depth: int = 0) -> st.SearchStrategy:
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    return st.fixed_dictionaries({n: _strategy(hints[n], depth) for n in names}).map(
        lambda kw: cls(**kw)
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CLASSES).flatmap(config_strategy))
def test_round_trip_random_values(cfg: Any) -> None:
    data = to_json_and_back(c.to_dict(cfg))
    back = c.from_dict(data, validate=False)  # random values need not be valid
    assert type(back) is type(cfg)
    assert back == cfg
    assert c.to_dict(back) == c.to_dict(cfg)
    assert _types(back) == _types(cfg)  # an int stays an int, a float a float


def to_json_and_back(data: dict) -> dict:
    return json.loads(json.dumps(data))


def _types(obj: Any) -> Any:
    if isinstance(obj, ConfigBase):
        return {f.name: _types(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list):
        return [_types(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _types(v) for k, v in obj.items()}
    return type(obj)


@pytest.mark.parametrize("algorithm", c.ALGORITHMS)
def test_save_and_load_built_configs(algorithm: str, tmp_path: Any) -> None:
    cfg = c.build_config(algorithm, presets.ReRamSBPresetDevice, construction_seed=11)
    cfg.runtime.data_type = c.RPUDataType.DOUBLE  # not compared by ==, checked separately
    path = tmp_path / "cfg.json"
    c.save_config(cfg, path)
    back = c.load_config(path)
    assert back == cfg and back.runtime == cfg.runtime
    assert str(back) == str(cfg)
    assert type(back.device) is type(cfg.device)


def test_format_header_and_enum_encoding() -> None:
    data = c.to_dict(c.IOParameters())
    assert data["format"] == FORMAT and data["version"] == FORMAT_VERSION == 1
    fields = data["config"]["fields"]
    assert data["config"]["class"] == "IOParameters"
    assert fields["noise_management"] == {"enum": "NoiseManagementType", "value": "AbsMax"}
    assert fields["out_noise"] == 0.06


def _doc(config: Any) -> dict:
    return {"format": FORMAT, "version": FORMAT_VERSION, "config": config}


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"format": "x", "version": 1, "config": {}}, "format"),
        ({"format": FORMAT, "version": 2, "config": {}}, "version 2"),
        (_doc({"class": "os.system", "fields": {}}), "unknown configuration class 'os.system'"),
        (_doc({"class": "IOParameters", "fields": {"out_nois": 0.1}}), "out_nois"),
        (
            _doc({"class": "IOParameters", "fields": {"mv_type": {"enum": "Evil", "value": "x"}}}),
            "unknown enum 'Evil'",
        ),
        (
            _doc(
                {
                    "class": "IOParameters",
                    "fields": {"mv_type": {"enum": "AnalogMVType", "value": "Nope"}},
                }
            ),
            "'Nope' is not a value of AnalogMVType",
        ),
        (_doc({"class": "IOParameters", "fields": {"out_noise": {"a": 1}}}), "unrecognised"),
        (_doc(3), "not a configuration object"),
    ],
)
def test_bad_documents_are_refused(data: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        c.from_dict(data)


def test_missing_fields_take_defaults() -> None:
    back = c.from_dict(_doc({"class": "ConstantStepDevice", "fields": {"dw_min": 0.01}}))
    assert back == c.ConstantStepDevice(dw_min=0.01)


def test_unknown_classes_cannot_be_saved(tmp_path: Any) -> None:
    @dataclasses.dataclass
    class MyDevice(c.ConstantStepDevice):
        pass

    with pytest.raises(ConfigError, match="MyDevice is not a known configuration"):
        c.to_dict(c.SingleRPUConfig(device=MyDevice()))
    with pytest.raises(ConfigError, match="configuration object"):
        c.to_dict(42)


def test_invalid_json_file(tmp_path: Any) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid JSON"):
        c.load_config(path)
