"""Configurations as data: build, edit, save to JSON, reload, and train with the reloaded one.

The JSON file holds every field (not only the non-default ones), so it does not depend on
the defaults of the analogtrain version that reads it; loading never executes code. The
same file is what ``analogtrain config ALG DEVICE --out cfg.json`` writes and
``analogtrain train --config cfg.json`` reads.

    python examples/05_config_export_reload.py --out c_ttv2.json
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch

from analogtrain.configs import SoftBoundsReferenceDevice, build_config, load_config, save_config
from analogtrain.nn import AnalogLinear
from analogtrain.optim import AnalogSGD


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description="Export and reload an RPU config")
    parser.add_argument("--out", default="", help="JSON file (default: a temporary file)")
    args = parser.parse_args(argv)

    device = SoftBoundsReferenceDevice(dw_min=0.002, reference_std=0.05)
    config = build_config("c-ttv2", device, construction_seed=7)
    config.forward.out_noise = 0.02  # typos such as config.forward.out_nosie raise ConfigError
    config.device.in_chop_prob = 0.05
    print("built:")
    print(config)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.out) if args.out else Path(tmp) / "config.json"
        save_config(config, path)
        print(f"saved to {path} ({path.stat().st_size} bytes)")
        reloaded = load_config(path)
    same = reloaded == config
    print(f"reloaded config equals the original: {same}")

    torch.manual_seed(0)
    layer = AnalogLinear(6, 2, rpu_config=reloaded)
    opt = AnalogSGD(layer.parameters(), lr=0.1)
    x, y = torch.rand(32, 6), torch.rand(32, 2)
    for _ in range(20):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(layer(x), y)
        loss.backward()
        opt.step()
    print(f"trained a layer built from the reloaded config: loss {loss.item():.4f}")
    return same


if __name__ == "__main__":
    main()
