"""Successive halving: a small hyper-parameter search over a fixed list of settings.

Every candidate setting starts a training run; all runs train for the first rung's number of
epochs and are scored on held-out data; the best ``1/eta`` continue (their runs resume, no
epoch is trained twice) to the next rung, and so on until the last rung trains the survivors
for the full ``max_epochs``. The winner has the best score at the last rung.

Reference: K. Jamieson, A. Talwalkar, "Non-stochastic best arm identification and
hyperparameter optimization", AISTATS 2016 (successive halving); L. Li et al., "Hyperband",
JMLR 18 (2018), whose brackets use the same geometric rung schedule as :func:`rung_epochs`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from analogtrain.errors import ArgumentError

__all__ = ["SearchResult", "Trial", "rung_epochs", "successive_halving"]


class _Scored(Protocol):
    """What a candidate's run must offer: resumable ``fit`` and its validation score."""

    def fit(self, epochs: int, **kwargs: Any) -> Any: ...


@dataclass
class Trial:
    """One candidate: its setting and its score ``(epochs trained, accuracy %, loss)`` at
    every rung it reached."""

    params: dict[str, Any]
    scores: list[tuple[int, float, float]] = field(default_factory=list)

    @property
    def key(self) -> tuple[float, float]:
        """Ranking key at the latest rung: higher accuracy first, then lower loss."""
        _, acc, loss = self.scores[-1]
        return (acc, -loss)


@dataclass
class SearchResult:
    """The outcome of :func:`successive_halving`."""

    best: dict[str, Any]
    trials: list[Trial]
    rungs: list[int]
    epochs_trained: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "best": self.best,
            "rungs": self.rungs,
            "epochs_trained": self.epochs_trained,
            "trials": [
                {
                    "params": t.params,
                    "scores": [
                        {"epochs": e, "accuracy": a, "loss": loss} for e, a, loss in t.scores
                    ],
                }
                for t in self.trials
            ],
        }


def rung_epochs(max_epochs: int, n_candidates: int, eta: int = 3) -> list[int]:
    """Epochs at each rung: ``max_epochs / eta**k`` for ``k = K-1 .. 0`` (rounded up, at
    least 1, duplicates dropped), with ``K = 1 + floor(log_eta(n_candidates))`` rungs, so
    that about one candidate is left for the last rung."""
    if max_epochs < 1:
        raise ArgumentError(f"max_epochs must be >= 1, got {max_epochs}")
    if n_candidates < 1:
        raise ArgumentError(f"n_candidates must be >= 1, got {n_candidates}")
    if eta < 2:
        raise ArgumentError(f"eta must be >= 2, got {eta}")
    n_rungs = 1 + int(math.floor(math.log(n_candidates) / math.log(eta) + 1e-9))
    rungs: list[int] = []
    for k in range(n_rungs - 1, -1, -1):
        e = max(1, math.ceil(max_epochs / eta**k))
        if not rungs or e > rungs[-1]:
            rungs.append(e)
    return rungs


def successive_halving(
    candidates: Sequence[dict[str, Any]],
    make_run: Callable[[dict[str, Any]], _Scored],
    score: Callable[[Any], tuple[float, float]],
    *,
    max_epochs: int,
    eta: int = 3,
    on_rung: Callable[[int, list[Trial]], None] | None = None,
) -> SearchResult:
    """Pick the best of ``candidates`` by successive halving.

    Args:
        candidates: the settings to try (in order; ties go to the earlier one).
        make_run: a fresh run for a setting; its ``fit(epochs, stream=None)`` trains up to
            ``epochs`` in total (continuing where it stopped), silently.
        score: ``(accuracy, loss)`` of a run on the held-out data after its last ``fit``.
        max_epochs: epochs of the last rung.
        eta: reduction factor (the best ``ceil(n / eta)`` continue).
        on_rung: called after every rung with its epochs and the trials that ran in it.
    """
    if not candidates:
        raise ArgumentError("successive_halving needs at least one candidate")
    rungs = rung_epochs(max_epochs, len(candidates), eta)
    trials = [Trial(dict(c)) for c in candidates]
    runs = [make_run(t.params) for t in trials]
    alive = list(range(len(trials)))
    trained = 0
    for r, epochs in enumerate(rungs):
        for i in alive:
            before = trials[i].scores[-1][0] if trials[i].scores else 0
            runs[i].fit(epochs, stream=None)
            trained += epochs - before
            acc, loss = score(runs[i])
            trials[i].scores.append((epochs, float(acc), float(loss)))
        if on_rung is not None:
            on_rung(epochs, [trials[i] for i in alive])
        ranked = sorted(alive, key=lambda i: (trials[i].key, -i), reverse=True)
        if r < len(rungs) - 1:
            alive = sorted(ranked[: max(1, math.ceil(len(alive) / eta))])
            for i in set(ranked) - set(alive):
                runs[i] = None  # type: ignore[call-overload]  # free the pruned run
        else:
            alive = ranked[:1]
    return SearchResult(
        best=dict(trials[alive[0]].params), trials=trials, rungs=rungs, epochs_trained=trained
    )
