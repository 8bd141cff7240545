"""Bad inputs through the public API, per class: how many were tried, how many gave a clear
error, how many left the state unchanged (issue 13's closing-note table).

A case is *clear* when the call raises an analogtrain error (``AnalogTrainError``; for the
CLI: exit status 2 and a one-line message) whose message contains the expected text (the
argument, field path or value). The *state* is the whole model snapshot of
``tests/robustness/state_snapshot.py`` (state_dict with generator states, gradients,
pending pairs, optimizer state) before and after; for config cases the saved form of the
config passed in; for files the folder contents and the previous checkpoint. For the
"skipped batch" class the case is clean when the next step is bit-identical to that of a
model that never saw the batch (and there is no error to expect: ``clear`` counts it too).

    PYTHONPATH=src python benchmarks/robustness.py
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "robustness"))
from state_snapshot import differences, snapshot  # noqa: E402

from analogtrain.configs import (  # noqa: E402
    ConstantStepDevice,
    IOParameters,
    MappingParameter,
    SingleRPUConfig,
    UpdateParameters,
    build_config,
)
from analogtrain.configs.serialization import (  # noqa: E402
    from_dict,
    load_config,
    save_config,
    to_dict,
)
from analogtrain.errors import AnalogTrainError  # noqa: E402
from analogtrain.nn import AnalogLinear, AnalogSequential  # noqa: E402
from analogtrain.optim import AnalogSGD  # noqa: E402

BAD = [math.nan, math.inf, -math.inf]


@dataclass
class Outcome:
    clear: bool
    unchanged: bool
    note: str = ""


def model(seed: int = 3, split: bool = False, omega: float = 0.0) -> tuple[nn.Module, AnalogSGD]:
    torch.manual_seed(seed)
    mapping = MappingParameter(weight_scaling_omega=omega)
    if split:
        mapping = MappingParameter(max_input_size=4, max_output_size=3, weight_scaling_omega=omega)
    cfg = SingleRPUConfig(device=ConstantStepDevice(), mapping=mapping)
    net = AnalogSequential(AnalogLinear(6, 5, rpu_config=cfg), nn.Tanh(), AnalogLinear(5, 3))
    opt = AnalogSGD(net.parameters(), lr=0.05, momentum=0.5)
    train_step(net, opt, torch.randn(4, 6))
    return net, opt


def train_step(net: nn.Module, opt: AnalogSGD, x: torch.Tensor) -> None:
    opt.zero_grad()
    net(x).pow(2).sum().backward()
    opt.step()


def rejected(call: Callable[[], Any], expect: str, state: Callable[[], Any]) -> Outcome:
    before = state()
    try:
        call()
    except AnalogTrainError as exc:
        clear = expect.lower() in str(exc).lower()
        note = "" if clear else f"message lacks {expect!r}: {exc}"
    except Exception as exc:  # noqa: BLE001 - a raw error is what the table counts
        clear, note = False, f"raw {type(exc).__name__}: {exc}"
    else:
        clear, note = False, "accepted"
    unchanged = differences(before, state()) == []
    return Outcome(clear, unchanged, note)


def model_case(build: Callable[[], tuple[nn.Module, AnalogSGD]], prepare, call, expect) -> Outcome:
    net, opt = build()
    prepare(net, opt)
    return rejected(lambda: call(net, opt), expect, lambda: snapshot(net, opt))


# ----------------------------------------------------------------------------- the classes
def build_config_cases() -> Iterator[Outcome]:
    wrong = [IOParameters, UpdateParameters, SingleRPUConfig(), 3, "ConstantStep", None]
    for arg in ("device", "io_parameters", "up_parameters"):
        for value in wrong:
            valid = {"io_parameters": IOParameters, "up_parameters": UpdateParameters}
            if (arg != "device" and value is None) or value is valid.get(arg):
                continue
            kwargs = {"device": ConstantStepDevice, arg: value}
            yield rejected(lambda kw=kwargs: build_config("sgd", **kw), arg, lambda: None)
    for alg in ("sgdd", "tiki", "", 3):
        yield rejected(lambda a=alg: build_config(a, ConstantStepDevice), "algorithm", lambda: None)
    for seed in (-1, 2**63, 2**64, 1.5, True):
        expect = "construction_seed"
        yield rejected(
            lambda s=seed: build_config("sgd", ConstantStepDevice, construction_seed=s),
            expect,
            lambda: None,
        )
    for value in (ConstantStepDevice(), ConstantStepDevice, SingleRPUConfig, {}, "sgd"):
        yield rejected(lambda v=value: AnalogLinear(3, 2, rpu_config=v), "rpu_config", lambda: None)


def typo_cases() -> Iterator[Outcome]:
    for obj, name in [
        (IOParameters(), "out_nosie"),
        (UpdateParameters(), "desired_b"),
        (ConstantStepDevice(), "dw_mn"),
        (MappingParameter(), "digital_bais"),
        (SingleRPUConfig(), "froward"),
    ]:
        yield rejected(
            lambda o=obj, n=name: setattr(o, n, 1), "did you mean", lambda o=obj: repr(o)
        )
    yield rejected(
        lambda: build_config("sgd", ConstantStepDevice, mappin=MappingParameter()),
        "mapping",
        lambda: None,
    )


def forward_cases() -> Iterator[Outcome]:
    for split in (False, True):
        for bad in BAD:
            for col in (0, 5):
                def prep(net, opt, b=bad, c=col):
                    pass

                x = torch.randn(3, 6)
                x[1, col] = bad
                yield model_case(
                    lambda s=split: model(split=s), prep, lambda n, o, v=x: n(v), "NaN/inf"
                )
        for x in (torch.randn(3, 7), torch.randn(3, 6, dtype=torch.float64), [1.0] * 6):
            yield model_case(
                lambda s=split: model(split=s), lambda n, o: None, lambda n, o, v=x: n(v), "input"
            )


def optimizer_cases() -> Iterator[Outcome]:
    for bad in BAD:
        for target in range(4):
            def prep(net, opt, b=bad, t=target):
                opt.zero_grad()
                net(torch.randn(4, 6)).pow(2).sum().backward()
                digital = [p for p in net.parameters() if p.grad is not None and p.dim() > 0]
                digital[t % len(digital)].grad.view(-1)[0] = b

            yield model_case(model, prep, lambda n, o: o.step(), "gradient has 1 NaN/inf")

        def prep_pairs(net, opt, b=bad):
            opt.zero_grad()
            ctx = net[0].analog_module.analog_ctx
            net(torch.randn(4, 6)).pow(2).sum().backward()
            ctx.analog_grad_output[0][0, 0] = b

        yield model_case(model, prep_pairs, lambda n, o: o.step(), "pending update d")


def learning_rate_cases() -> Iterator[Outcome]:
    for lr in (math.nan, math.inf, -math.inf, -0.1, "0.1", None):
        yield model_case(model, lambda n, o: None, lambda n, o, v=lr: o.set_learning_rate(v), "learning rate")  # noqa: E501
        yield model_case(
            model,
            lambda n, o: None,
            lambda n, o, v=lr: o.add_param_group({"params": [nn.Parameter(torch.ones(1))], "lr": v}),  # noqa: E501
            "learning rate",
        )
        yield model_case(model, lambda n, o: None, lambda n, o, v=lr: AnalogSGD(n.parameters(), lr=v), "learning rate")  # noqa: E501

        def prep(net, opt, v=lr):
            opt.param_groups[0]["lr"] = v
            opt.zero_grad()
            net(torch.randn(2, 6)).sum().backward()

        yield model_case(model, prep, lambda n, o: o.step(), "learning rate")


def skipped_batch_cases() -> Iterator[Outcome]:
    skips = {
        "opt.zero_grad()": lambda n, o: o.zero_grad(),
        "opt.zero_grad(False)": lambda n, o: o.zero_grad(set_to_none=False),
        "model.zero_grad()": lambda n, o: n.zero_grad(),
        "model.zero_grad(False)": lambda n, o: n.zero_grad(set_to_none=False),
    }
    for name, skip in skips.items():
        for with_nan in (False, True):
            torch.manual_seed(0)
            cfg = SingleRPUConfig(
                device=ConstantStepDevice(),
                forward=IOParameters(is_perfect=True),
                backward=IOParameters(is_perfect=True),
            )
            net = AnalogSequential(AnalogLinear(6, 5, rpu_config=cfg), nn.Tanh(), AnalogLinear(5, 3, rpu_config=cfg))  # noqa: E501
            opt = AnalogSGD(net.parameters(), lr=0.05, momentum=0.5)
            ref = copy.deepcopy((net, opt))
            out = net(torch.randn(4, 6))
            grad = torch.ones_like(out)
            if with_nan:
                grad[0, 0] = math.nan
            with contextlib.suppress(AnalogTrainError):
                out.backward(grad)
            skip(net, opt)
            x = torch.randn(4, 6)
            train_step(net, opt, x)
            train_step(*ref, x)
            same = differences(snapshot(net, opt), snapshot(*ref)) == []
            yield Outcome(True, same, "" if same else f"{name}: next step differs")


def set_weights_cases() -> Iterator[Outcome]:
    for split in (False, True):
        for omega in (0.0, 1.0):
            for target in ("weight", "bias"):
                for bad in BAD:
                    w, b = torch.randn(5, 6), torch.randn(5)
                    (w if target == "weight" else b)[4] = bad
                    yield model_case(
                        lambda s=split, om=omega: model(split=s, omega=om),
                        lambda n, o: None,
                        lambda n, o, w=w, b=b: n[0].set_weights(w, b),
                        f"{target} has",
                    )
        for w, b in ((torch.randn(5, 7), None), (torch.randn(5, 6), torch.randn(4))):
            yield model_case(
                lambda s=split: model(split=s), lambda n, o: None, lambda n, o, w=w, b=b: n[0].set_weights(w, b), "shape"  # noqa: E501
            )
        for omega in (math.nan, -1.0, 1e-320):
            yield model_case(
                lambda s=split: model(split=s),
                lambda n, o: None,
                lambda n, o, om=omega: n[0].set_weights(torch.randn(5, 6), weight_scaling_omega=om),
                "weight_scaling_omega",
            )


def load_state_dict_cases() -> Iterator[Outcome]:
    source, _ = model(seed=9)
    good = source.state_dict()
    floats = [k for k, v in good.items() if torch.is_tensor(v) and v.is_floating_point()]
    extras = [k for k in good if k.endswith("_extra_state")]
    corruptions: list[tuple[Callable[[dict], None], str]] = []
    for k in floats:
        corruptions.append((lambda s, k=k: s.__setitem__(k, torch.full_like(s[k], math.nan)), "NaN"))  # noqa: E501
        corruptions.append((lambda s, k=k: s.__setitem__(k, torch.zeros(s[k].numel() + 1)), "nothing was loaded"))  # noqa: E501
    for k in extras:
        corruptions.append((lambda s, k=k: s.__setitem__(k, dict(s[k], tile_class="OneSidedTile")), "nothing was loaded"))  # noqa: E501
        corruptions.append((lambda s, k=k: s.__setitem__(k, dict(s[k], out_size=99)), "nothing was loaded"))  # noqa: E501

        def typo(s, k=k):
            saved = copy.deepcopy(s[k]["rpu_config"])
            fields = saved["config"]["fields"]
            fields["forwrd"] = fields.pop("forward")
            s[k] = dict(s[k], rpu_config=saved)

        corruptions.append((typo, "nothing was loaded"))
    for corrupt, expect in corruptions:
        state = dict(copy.deepcopy(good))
        corrupt(state)
        yield model_case(model, lambda n, o: None, lambda n, o, s=state: n.load_state_dict(s), expect)  # noqa: E501


def json_config_cases() -> Iterator[Outcome]:
    base = to_dict(SingleRPUConfig())
    edits: list[tuple[str, Any, str]] = [
        ("out_noise", "0.06x", "forward.out_noise"),
        ("out_bound", "12", "forward.out_bound"),
        ("max_bm_factor", "1000", "forward.max_bm_factor"),
        ("max_bm_factor", 10.5, "forward.max_bm_factor"),
        ("is_perfect", "yes", "forward.is_perfect"),
        ("out_nosie", 0.1, "out_nosie"),
        ("noise_management", "AbsMax", "noise_management"),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for field, value, expect in edits:
            data = copy.deepcopy(base)
            data["config"]["fields"]["forward"]["fields"][field] = value
            path = Path(tmp) / "c.json"
            path.write_text(json.dumps(data))
            yield rejected(lambda p=path: load_config(p), expect, lambda: None)
        data = copy.deepcopy(base)
        data["config"]["fields"]["forward"] = True
        yield rejected(lambda d=data: from_dict(d), "forward", lambda: None)
        for text, expect in [
            ("[" * 50000 + "]" * 50000, "nested"),
            (json.dumps(base).replace("0.06", "NaN"), "NaN"),
            (json.dumps(base).replace("0.06", "Infinity"), "Infinity"),
            ("{not json", "not valid JSON"),
            (json.dumps({"format": "other"}), "format"),
        ]:
            path = Path(tmp) / "t.json"
            path.write_text(text)
            yield rejected(lambda p=path: load_config(p), expect, lambda: None)
        for value in (math.nan, math.inf):
            cfg = SingleRPUConfig()
            cfg.forward.out_noise = value
            path = Path(tmp) / f"s{value}.json"
            yield rejected(lambda c=cfg, p=path: save_config(c, p), "forward.out_noise", lambda p=path: p.exists())  # noqa: E501


def config_value_cases() -> Iterator[Outcome]:
    values = [1e300, -1e300, 10**400, math.nan, math.inf, -1.0]
    fields = [("forward", "out_noise"), ("forward", "out_bound"), ("device", "dw_min"), ("device", "w_max"), ("update", "desired_bl")]  # noqa: E501
    for group, field in fields:
        for value in values:
            cfg = SingleRPUConfig(device=ConstantStepDevice())
            setattr(getattr(cfg, group), field, value)
            if value == -1.0 and field in ("w_max", "out_bound"):
                continue  # legal (a negative bound disables it / a negative w_max is a range)
            yield rejected(
                lambda c=cfg: AnalogLinear(3, 2, rpu_config=c),
                f"{group}.{field}",
                lambda c=cfg: repr(c),
            )


def live_edit_cases() -> Iterator[Outcome]:
    for group, field, value in [
        ("forward", "out_noise", math.nan),
        ("forward", "out_noise", 0.1),
        ("backward", "inp_res", -3.0),
        ("update", "desired_bl", 0),
        ("device", "dw_min", 1e300),
        ("mapping", "digital_bias", False),
    ]:
        for holder in ("module", "tile"):
            net, opt = model()
            tile = net[0].analog_module
            cfg = tile.rpu_config if holder == "module" else tile.tile.rpu_config
            yield rejected(
                lambda c=cfg, g=group, f=field, v=value: setattr(getattr(c, g), f, v),
                "read-only",
                lambda n=net, o=opt: snapshot(n, o),
            )


def cli_cases() -> Iterator[Outcome]:
    from analogtrain.cli import main

    argvs = [
        ["train", "--lr", "inf"],
        ["train", "--lr", "nan"],
        ["train", "--epochs", "-1"],
        ["train", "--algorithm", "sgdd"],
        ["train", "--device", "NoSuchDevice"],
        ["train", "--resume", "/nonexistent/ck.pt"],
    ]
    for argv in argvs:
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                code = main(argv)
            except SystemExit as exc:
                code = exc.code
            except Exception:  # noqa: BLE001
                code = "traceback: " + traceback.format_exc().splitlines()[-1]
        lines = [line for line in err.getvalue().splitlines() if line.strip()]
        clear = code == 2 and "Traceback" not in err.getvalue()
        yield Outcome(clear, True, "" if clear else f"{argv}: exit {code}, {lines[-1:]}")


def file_cases() -> Iterator[Outcome]:
    from analogtrain.training import (
        TrainingRun,
        build_model,
        load_checkpoint,
        save_checkpoint,
        synthetic_dataset,
    )

    torch.manual_seed(0)
    data = synthetic_dataset(16, 8, image_size=4, seed=1)
    net = build_model("mlp", data.image_shape, data.n_classes, SingleRPUConfig(), hidden=(4,))
    run = TrainingRun(net, data, lr=0.1, batch_size=8, seed=0, max_batches=1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        blocker = root / "file"
        blocker.write_text("x")

        def listing() -> list[str]:
            return sorted(str(p.relative_to(root)) for p in root.rglob("*"))

        for target in (blocker / "ck.pt", blocker / "sub" / "ck.pt", root / "missing" / "\0bad.pt"):
            yield rejected(lambda t=target: save_checkpoint(t, run), "checkpoint", listing)
        evil = root / "evil.pt"
        torch.save({"format": "analogtrain-checkpoint", "run": {}, "meta": {"x": object()}}, evil)
        for path in (evil, blocker, root / "absent.pt", root):
            yield rejected(lambda p=path: load_checkpoint(p), "checkpoint" if path != evil else "unpickling", listing)  # noqa: E501


CLASSES: dict[str, Callable[[], Iterator[Outcome]]] = {
    "build_config": build_config_cases,
    "typo": typo_cases,
    "forward": forward_cases,
    "optimizer": optimizer_cases,
    "learning rate": learning_rate_cases,
    "skipped batch": skipped_batch_cases,
    "set_weights": set_weights_cases,
    "load_state_dict": load_state_dict_cases,
    "JSON config": json_config_cases,
    "config values": config_value_cases,
    "live edit": live_edit_cases,
    "CLI": cli_cases,
    "files": file_cases,
}


def main() -> int:
    total = [0, 0, 0]
    notes: list[str] = []
    print(f"| {'class':<16} | tried | clear errors | state unchanged |")
    print(f"|{'-' * 18}|------:|-------------:|----------------:|")
    for name, cases in CLASSES.items():
        tried = clear = unchanged = 0
        for outcome in cases():
            tried += 1
            clear += outcome.clear
            unchanged += outcome.unchanged
            if outcome.note and len(notes) < 40:
                notes.append(f"{name}: {outcome.note}")
        total = [total[0] + tried, total[1] + clear, total[2] + unchanged]
        print(f"| {name:<16} | {tried:5d} | {clear:12d} | {unchanged:15d} |")
    print(f"| {'total':<16} | {total[0]:5d} | {total[1]:12d} | {total[2]:15d} |")
    for note in notes:
        print("  -", note[:300])
    return 0 if total[0] == total[1] == total[2] else 1


if __name__ == "__main__":
    raise SystemExit(main())
