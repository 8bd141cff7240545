"""Data-parallel analog training over 2 gloo ranks (spawned once for the whole file).

Every case runs in the two spawned ranks with ``M`` rows each and, for reference, here in
one process with the ``2·M`` rows of the global batch. Under exact MVMs the replicas, the
one-process run and a one-process resume of the ranks' checkpoint must agree bit for bit
(every tile's weights, hidden parameters and complete state); with the default noisy MVMs
the weight changes must agree in distribution, and the MVM noise of the ranks must be
independent.
"""

from __future__ import annotations

import json
import math

import dp_cases as cases
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

if not dist.is_available():  # pragma: no cover
    pytest.skip("torch.distributed is not available", allow_module_level=True)

CASES = [("mlp", a) for a in cases.ALGORITHMS] + [("conv", "sgd")]


@pytest.fixture(scope="module")
def ranks(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict, str]:
    out = tmp_path_factory.mktemp("dp")
    init_file = str(out / "rendezvous")
    mp.spawn(cases.worker, args=(cases.WORLD, init_file, str(out)), nprocs=cases.WORLD,
             join=True)  # fmt: skip
    r0 = torch.load(out / "rank0.pt", weights_only=False)
    r1 = torch.load(out / "rank1.pt", weights_only=False)
    return r0, r1, str(out)


def _assert_bit_identical(a: dict, b: dict, what: str) -> None:
    assert a.keys() == b.keys(), what
    for key in a:
        assert a[key].dtype == b[key].dtype and torch.equal(a[key], b[key]), f"{what}: {key}"


@pytest.mark.parametrize("kind,algorithm", CASES)
def test_replicas_bit_identical_across_ranks(ranks, kind: str, algorithm: str) -> None:
    r0, r1, _ = ranks
    _assert_bit_identical(r0["cases"][(kind, algorithm)], r1["cases"][(kind, algorithm)],
                          "rank 0 vs rank 1")  # fmt: skip


@pytest.mark.parametrize("kind,algorithm", CASES)
def test_two_ranks_bit_identical_to_one_process_with_global_batch(
    ranks, kind: str, algorithm: str
) -> None:
    r0, _, _ = ranks
    torch.set_num_threads(1)
    single = cases.run_case(kind, algorithm, rank=0, world=1)
    _assert_bit_identical(r0["cases"][(kind, algorithm)], single, "2 ranks vs 1 process")


@pytest.mark.parametrize("kind,algorithm", CASES)
def test_checkpoint_of_two_ranks_resumes_in_one_process_bit_identically(
    ranks, kind: str, algorithm: str
) -> None:
    r0, _, out = ranks
    name = "conv" if kind == "conv" else algorithm
    resumed = cases.resume_case(kind, algorithm, cases.Path(out) / f"{name}.ckpt")
    _assert_bit_identical(r0["cases"][(kind, algorithm)], resumed, "2 ranks vs resumed")


def test_digital_parameters_averaged_identical_across_ranks_and_close_to_one_process(
    ranks,
) -> None:
    r0, r1, _ = ranks
    both = r0["cases"][("digital", "sgd")]
    _assert_bit_identical(both, r1["cases"][("digital", "sgd")], "rank 0 vs rank 1")
    single = cases.run_case("digital", "sgd", rank=0, world=1)
    for key in both:
        # the averaged bias gradients are sums in another order: equal to float32 rounding
        torch.testing.assert_close(both[key], single[key], rtol=1e-5, atol=1e-6, msg=key)


@pytest.mark.parametrize("algorithm", ["sgd", "tt"])
def test_noisy_mvm_training_equal_in_distribution_to_one_process(ranks, algorithm: str) -> None:
    r0, r1, _ = ranks
    two = r0["noisy"][algorithm]
    assert torch.equal(two, r1["noisy"][algorithm])  # replicas identical with noisy MVMs too
    one = cases.noisy_weight_changes(algorithm, rank=0, world=1)
    n = cases.N_SEEDS
    mean_diff = two.double().mean(0) - one.double().mean(0)
    var2, var1 = two.double().var(0), one.double().var(0)
    spread = torch.sqrt((var2 + var1) / n).clamp_min(1e-12)
    z = mean_diff / spread
    live = (var1 + var2) > 0
    # Welch z per weight; 4.5 sigma keeps the family-wise false-alarm rate of ~60 weights
    # below 1e-3 (two-sided normal tail 6.8e-6 each)
    assert z[live].abs().max() < 4.5, z
    # total spread: the variance ratio of n-sample estimates has a relative std of about
    # sqrt(2 / (n - 1)) = 0.23 per weight; the summed ratio within 4 of those
    ratio = float(var2.sum() / var1.sum())
    assert abs(math.log(ratio)) < 4 * math.sqrt(2 / (n - 1)), ratio


def _residual_correlation(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.flatten().double(), b.flatten().double()
    a, b = a - a.mean(), b - b.mean()
    return float((a @ b) / torch.sqrt((a @ a) * (b @ b)))


@pytest.mark.parametrize("direction", ["y", "gx"])
def test_mvm_noise_independent_across_ranks(ranks, direction: str) -> None:
    r0, r1, _ = ranks
    exact = r0["mvm"][direction + "_exact"]
    assert torch.equal(exact, r1["mvm"][direction + "_exact"])  # same weights, same inputs
    e0 = r0["mvm"][direction] - exact
    e1 = r1["mvm"][direction] - exact
    n = e0.numel()  # 4096 draws: the correlation of independent noise has std 1/sqrt(n)
    assert e0.abs().mean() > 1e-3  # there is noise
    assert abs(_residual_correlation(e0, e1)) < 4 / math.sqrt(n)
    # the hazard the per-rank streams remove: identically seeded bare replicas draw the
    # same noise for the same sample
    b0 = r0["mvm_bare"][direction] - r0["mvm_bare"][direction + "_exact"]
    b1 = r1["mvm_bare"][direction] - r1["mvm_bare"][direction + "_exact"]
    assert torch.equal(b0, b1)


def test_init_check_refuses_differently_seeded_replicas_and_broadcast_fixes_them(ranks) -> None:
    for r in ranks[:2]:
        assert "differs from rank 0" in r["errors"]["init_check"]
        assert "init_sync='broadcast'" in r["errors"]["init_check"]
        assert r["errors"]["broadcast"] == "identical"


def test_drift_check_raises_on_every_rank_when_one_replica_changed(ranks) -> None:
    for r in ranks[:2]:
        assert "rank 1 differs from rank 0" in r["errors"]["drift_check"]
        assert "tile state differs between ranks before update 2" in r["errors"]["drift_in_update"]


def test_plain_ddp_around_analog_model_raises_naming_the_replacement(ranks) -> None:
    for r in ranks[:2]:
        assert "DistributedDataParallel with 2 processes" in r["errors"]["ddp"]
        assert "AnalogDataParallel" in r["errors"]["ddp"]


def test_train_command_on_two_ranks_rank0_alone_writes_and_one_process_resumes(ranks) -> None:
    from analogtrain.cli import main

    r0, r1, out = ranks
    assert r0["cli"]["rc"] == 0 and r1["cli"]["rc"] == 0
    assert "batch 4 x 2 processes" in r0["cli"]["stdout"]
    assert "final test accuracy" in r0["cli"]["stdout"]
    assert r1["cli"]["stdout"] == ""
    ckpt = cases.Path(out) / "cli" / "checkpoint.pt"
    assert main(["train", "--resume", str(ckpt), "--epochs", "2", "--quiet"]) == 0
    metrics = json.loads((ckpt.parent / "metrics.json").read_text())["epochs"]
    assert [m["epoch"] for m in metrics] == [1, 2]
