"""A pulsed device's update-once rule, written once as a function of scalars.

A rule is a plain Python function ``rule(w, down, xi, p1, p2, ...)`` that returns the new,
*unclipped* weight of one cross-point after one pulse:

* ``w``: the weight before the pulse (the physical value ``w + reference`` for models read
  against a reference); ``down``: the pulse's direction (true = decrease); ``xi``: the
  pulse's cycle-to-cycle N(0, 1) sample, exactly 0 when the device has ``dw_min_std == 0``;
* ``p1, p2, ...``: the model's parameters, looked up by name on the device array (a buffer of
  shape ``[out, in]``: one value per cross-point; a 1-D buffer: a table, read with
  :func:`take`; a number) or else on its config (a number, or a list of numbers: a table).
  Numbers arrive as floats, booleans as ``1.0``/``0.0``.

The body is a restricted subset of Python, the same for every backend: assignments to
names and one final ``return``; numbers; ``+ - * /``, unary ``-``; one comparison at a time
(``< <= > >= == !=``); ``&`` and ``|`` to combine conditions; and calls of :data:`OPERATIONS`
(``where(c, a, b)`` selects, the others are elementwise math). No ``if``, loops, attributes,
subscripts or other calls. :func:`pulse_rule` checks this when the rule is defined; from the
one source the library then builds the plain-torch reference (:meth:`PulseRule.torch`,
elementwise over tensors), the numba kernel and the Triton kernel
(:mod:`analogtrain.kernels.update.rule_codegen`) with the rule inlined into their pulse loops.
Both sides of a ``where`` are evaluated: a discarded side may divide by zero harmlessly.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from analogtrain.errors import ConfigError

__all__ = ["FIXED_ARGUMENTS", "OPERATIONS", "PulseRule", "pulse_rule", "take"]

#: the first three arguments of every rule
FIXED_ARGUMENTS = ("w", "down", "xi")

#: the functions a rule may call, and what they compute (elementwise)
OPERATIONS: dict[str, str] = {
    "where": "where(c, a, b): a where c holds, else b",
    "minimum": "minimum(a, b)",
    "maximum": "maximum(a, b)",
    "abs": "absolute value",
    "exp": "e ** x",
    "log": "natural logarithm",
    "sqrt": "square root",
    "floor": "largest integer <= x (as a float)",
    "pow": "pow(a, b) = a ** b for a >= 0 (0 ** 0 = 1)",
    "sigmoid": "1 / (1 + exp(-x))",
    "tanh": "hyperbolic tangent",
    "take": "take(table, k): entry k (a whole number, as a float) of a 1-D table parameter",
}

_BINARY = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.BitAnd, ast.BitOr)
_COMPARE = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)


def _fail(name: str, node: ast.AST | None, what: str) -> ConfigError:
    line = f" (line {node.lineno} of the rule)" if hasattr(node, "lineno") else ""
    return ConfigError(f"pulse rule {name!r}: {what}{line}; see analogtrain.devices.rule")


def _check_expression(name: str, node: ast.AST, known: set[str]) -> None:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _fail(name, node, f"constant {node.value!r} is not a number")
    elif isinstance(node, ast.Name):
        if node.id not in known:
            raise _fail(name, node, f"name {node.id!r} is neither an argument nor assigned before")
    elif isinstance(node, ast.BinOp):
        if not isinstance(node.op, _BINARY):
            raise _fail(name, node, f"operator {type(node.op).__name__} is not allowed")
        _check_expression(name, node.left, known)
        _check_expression(name, node.right, known)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise _fail(name, node, f"operator {type(node.op).__name__} is not allowed")
        _check_expression(name, node.operand, known)
    elif isinstance(node, ast.Compare):
        if len(node.ops) != 1 or not isinstance(node.ops[0], _COMPARE):
            raise _fail(name, node, "only single comparisons (a < b) are allowed")
        _check_expression(name, node.left, known)
        _check_expression(name, node.comparators[0], known)
    elif isinstance(node, ast.Call):
        func = node.func
        if not isinstance(func, ast.Name) or func.id not in OPERATIONS:
            raise _fail(name, node, f"only calls of {sorted(OPERATIONS)} are allowed")
        if node.keywords:
            raise _fail(name, node, "keyword arguments are not allowed")
        for arg in node.args:
            _check_expression(name, arg, known)
    else:
        raise _fail(name, node, f"{type(node).__name__} is not part of the rule language")


def _check(name: str, fn_node: ast.FunctionDef) -> tuple[str, ...]:
    """Check the rule language; returns the parameter names after ``w, down, xi``."""
    args = fn_node.args
    if args.vararg or args.kwarg or args.kwonlyargs or args.defaults or args.posonlyargs:
        raise _fail(name, fn_node, "arguments must be plain positional names without defaults")
    if fn_node.decorator_list[1:]:
        raise _fail(name, fn_node, "the rule may carry no decorator besides @pulse_rule")
    names = tuple(a.arg for a in args.args)
    if names[:3] != FIXED_ARGUMENTS:
        raise _fail(name, fn_node, f"the first arguments must be {FIXED_ARGUMENTS}, got {names}")
    shadowing = sorted(set(names) & set(OPERATIONS))
    if shadowing:
        raise _fail(name, fn_node, f"arguments {shadowing} would hide operations of that name")
    known = set(names)
    body = list(fn_node.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # docstring
    if not body or not isinstance(body[-1], ast.Return) or body[-1].value is None:
        raise _fail(name, fn_node, "the body must end with 'return <expression>'")
    for stmt in body[:-1]:
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
            raise _fail(name, stmt, "only 'name = expression' statements may precede the return")
        target = stmt.targets[0]
        if not isinstance(target, ast.Name) or target.id in OPERATIONS:
            raise _fail(name, stmt, "assignments must be to plain names (not an operation's)")
        _check_expression(name, stmt.value, known)
        known.add(target.id)
    _check_expression(name, body[-1].value, known)
    return names[3:]


@dataclass(frozen=True)
class PulseRule:
    """A checked update-once rule: its name, source and parameter names (after ``w, down,
    xi``); ``key`` identifies the source (for the compiled kernels' caches)."""

    name: str
    source: str
    parameters: tuple[str, ...]
    key: str
    _torch: Callable[..., Any] = field(repr=False, compare=False)

    def torch(self, w: Tensor, down: Tensor, xi: Tensor | float, *values: Any) -> Tensor:
        """The rule elementwise over tensors (the reference backend)."""
        return self._torch(w, down, xi, *values)

    def body(self, name: str) -> str:
        """The function definition under ``name``, without decorators (what the code
        generators inline; a fixed name cannot collide with the generated code's own)."""
        tree = ast.parse(self.source)
        fn = tree.body[0]
        assert isinstance(fn, ast.FunctionDef)
        fn.decorator_list = []
        fn.name = name
        return ast.unparse(fn)


def pulse_rule(fn: Callable[..., Any]) -> PulseRule:
    """Decorator: check ``fn`` against the rule language and make it a :class:`PulseRule`.

    Raises :class:`~analogtrain.errors.ConfigError` naming the rule and the offending line.
    """
    if not inspect.isfunction(fn):
        raise ConfigError(f"pulse_rule needs a function, got {fn!r}")
    try:
        source = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError) as exc:
        raise ConfigError(
            f"pulse rule {fn.__name__!r}: its source is not available ({exc})"
        ) from exc
    tree = ast.parse(source)
    node = tree.body[0]
    if not isinstance(node, ast.FunctionDef):
        raise ConfigError(f"pulse rule {fn.__name__!r}: expected a 'def' statement")
    parameters = _check(fn.__name__, node)
    key = hashlib.sha256(ast.unparse(node).encode()).hexdigest()[:16]
    namespace: dict[str, Any] = dict(TORCH_OPERATIONS)
    node.decorator_list = []
    exec(compile(ast.Module([node], []), f"<pulse rule {fn.__name__}>", "exec"), namespace)
    return PulseRule(fn.__name__, source, parameters, key, namespace[fn.__name__])


# ---------------------------------------------------------------- torch operations


def _where(c: Any, a: Any, b: Any) -> Any:
    if isinstance(c, Tensor):
        return torch.where(c, a, b)
    return a if c else b


def _unary(tensor_fn: Callable[[Tensor], Tensor], float_fn: Callable[[float], float]) -> Any:
    def apply(x: Any) -> Any:
        return tensor_fn(x) if isinstance(x, Tensor) else float_fn(x)

    return apply


def _extremum(pair: Callable[..., Tensor], bound: str, plain: Callable[..., Any]) -> Any:
    """``minimum``/``maximum``: ``pair`` for two tensors, a clamp (``bound`` = "max"/"min")
    for a tensor and a number, ``plain`` for two numbers."""

    def apply(a: Any, b: Any) -> Any:
        if isinstance(a, Tensor) and isinstance(b, Tensor):
            return pair(a, b)
        if isinstance(a, Tensor):
            return torch.clamp(a, **{bound: b})
        if isinstance(b, Tensor):
            return torch.clamp(b, **{bound: a})
        return plain(a, b)

    return apply


_minimum = _extremum(torch.minimum, "max", min)
_maximum = _extremum(torch.maximum, "min", max)


def _pow(a: Any, b: Any) -> Any:
    if isinstance(a, Tensor):
        return a.pow(b)
    if isinstance(b, Tensor):
        return torch.pow(a, b)
    return a**b


def take(table: Tensor, k: Any) -> Any:
    """Entry ``k`` of a 1-D table (``k`` a whole number held as a float, or such a tensor)."""
    if isinstance(k, Tensor):
        return table[k.long()]
    return table[int(k)]


def _sigmoid_float(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


#: the torch implementation of every operation of :data:`OPERATIONS`
TORCH_OPERATIONS: dict[str, Any] = {
    "where": _where,
    "minimum": _minimum,
    "maximum": _maximum,
    "abs": _unary(torch.abs, abs),
    "exp": _unary(torch.exp, math.exp),
    "log": _unary(torch.log, math.log),
    "sqrt": _unary(torch.sqrt, math.sqrt),
    "floor": _unary(torch.floor, lambda x: float(math.floor(x))),
    "pow": _pow,
    "sigmoid": _unary(torch.sigmoid, _sigmoid_float),
    "tanh": _unary(torch.tanh, math.tanh),
    "take": take,
}

# the operations under their rule names, so that a rule module can import them (and a rule
# can be called directly on floats or tensors)
where = TORCH_OPERATIONS["where"]
minimum = TORCH_OPERATIONS["minimum"]
maximum = TORCH_OPERATIONS["maximum"]
abs = TORCH_OPERATIONS["abs"]  # noqa: A001
exp = TORCH_OPERATIONS["exp"]
log = TORCH_OPERATIONS["log"]
sqrt = TORCH_OPERATIONS["sqrt"]
floor = TORCH_OPERATIONS["floor"]
pow = TORCH_OPERATIONS["pow"]  # noqa: A001
sigmoid = TORCH_OPERATIONS["sigmoid"]
tanh = TORCH_OPERATIONS["tanh"]
