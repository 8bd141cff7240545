"""``--set`` values of ``analogtrain compare`` that name one algorithm: ``ALG:PATH=VALUE``.

``PATH=VALUE`` applies to every algorithm's RPU config; ``c-ttv2:device.fast_lr=0.5`` only to
c-ttv2's. The path ``lr`` (``sgd:lr=0.2``, or ``lr=0.2`` for all) is the optimizer learning
rate of that algorithm, not a config field.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analogtrain.cli.overrides import parse_assignment
from analogtrain.errors import ArgumentError

__all__ = ["ScopedSets", "split_sets"]


@dataclass
class ScopedSets:
    """The ``--set`` values sorted by scope."""

    common: list[str] = field(default_factory=list)
    per_algorithm: dict[str, list[str]] = field(default_factory=dict)
    lr: dict[str, float] = field(default_factory=dict)

    def for_algorithm(self, algorithm: str) -> list[str]:
        """The config overrides of ``algorithm``: the common ones, then its own."""
        return [*self.common, *self.per_algorithm.get(algorithm, [])]

    def fixed_paths(self, algorithm: str) -> set[str]:
        """The paths the user fixed for ``algorithm`` (left out of its search)."""
        paths = {parse_assignment(s)[0] for s in self.for_algorithm(algorithm)}
        if algorithm in self.lr:
            paths.add("lr")
        return paths


def _learning_rate(text: str, value: str) -> float:
    try:
        lr = float(value)
    except ValueError:
        lr = float("nan")
    if not lr > 0:
        raise ArgumentError(f"--set {text}: the learning rate must be a number > 0")
    return lr


def split_sets(sets: list[str], algorithms: list[str]) -> ScopedSets:
    """Sort ``sets`` into common and per-algorithm overrides (algorithm names as given in
    ``algorithms``, matched ignoring case)."""
    by_lower = {a.lower(): a for a in algorithms}
    out = ScopedSets(per_algorithm={a: [] for a in algorithms})
    for text in sets:
        path, value = parse_assignment(text)
        scope, sep, rest = path.partition(":")
        if sep:
            alg = by_lower.get(scope.strip().lower())
            if alg is None:
                raise ArgumentError(
                    f"--set {text}: {scope.strip()!r} is not one of the compared algorithms "
                    f"({', '.join(algorithms)})"
                )
            path = rest.strip()
            if not path:
                raise ArgumentError(f"--set {text}: no path after '{scope}:'")
            targets = [alg]
        else:
            targets = list(algorithms)
        for alg in targets:
            if path == "lr":
                out.lr[alg] = _learning_rate(text, value)
            elif sep:
                out.per_algorithm[alg].append(f"{path}={value}")
        if not sep and path != "lr":
            out.common.append(f"{path}={value}")
    return out
