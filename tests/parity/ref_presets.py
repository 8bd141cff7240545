"""Reference side of the preset comparison: every field of aihwkit presets, flattened.

Run with the aihwkit reference interpreter: ``python ref_presets.py NAME...``. Prints one
JSON object ``{name: {dotted.field.path: value}}`` (enums as their string value); a name
that aihwkit does not define maps to ``null``. Also imported by the test for the
analogtrain side, so both sides are flattened by the same code.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import sys
from typing import Any


def flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """``{path: leaf}`` of a configuration dataclass (lists indexed, classes by name)."""
    out: dict[str, Any] = {}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out[f"{prefix}<class>"] = type(obj).__name__
        for f in dataclasses.fields(obj):
            out.update(flatten(getattr(obj, f.name), f"{prefix}{f.name}."))
    elif isinstance(obj, (list, tuple)):
        out[f"{prefix}<len>"] = len(obj)
        for i, item in enumerate(obj):
            out.update(flatten(item, f"{prefix}{i}."))
    elif isinstance(obj, enum.Enum):
        out[prefix.rstrip(".")] = str(obj.value)
    elif obj is None or isinstance(obj, (bool, int, float, str)):
        out[prefix.rstrip(".")] = obj
    elif isinstance(obj, type):
        out[prefix.rstrip(".")] = obj.__name__
    else:
        out[prefix.rstrip(".")] = f"<{type(obj).__name__}>"
    return out


def main(names: list[str]) -> None:
    import aihwkit.simulator.presets as presets

    result = {}
    for name in names:
        cls = getattr(presets, name, None)
        result[name] = None if cls is None else flatten(cls())
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
