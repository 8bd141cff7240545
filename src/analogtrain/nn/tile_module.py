"""One analog tile with its digital periphery (compounds.md 4.1, 4.6-4.8; single-tile.md 3.9).

The logical layer computed by an :class:`AnalogTileModule` is

    y = α_out ⊙ s ⊙ MVM(W_tile, [x, 1?]) + b

* ``W_tile`` lives on the crossbar (the tile from :func:`analogtrain.tiles.create_tile`);
  with an *analog* bias (``mapping.digital_bias=False``) the crossbar has one extra column
  whose input is always 1 and whose weights are the bias;
* ``s`` are the mapping scales: with ``mapping.weight_scaling_omega = ω > 0``,
  ``set_weights(W)`` stores ``W / s`` with ``s = max|W| / ω`` (per row if
  ``weight_scaling_columnwise``), so the crossbar uses its range fully; they are not trained;
* ``α_out`` is the learnable output scale (``mapping.learn_out_scaling``), trained by the
  digital optimizer;
* ``b`` the digital bias (default), trained by the digital optimizer.

The pulsed update receives ``d / (s · λ_s)`` at learning rate ``lr · λ_s`` with
``λ_s = 1/mean(s)`` when ``weight_scaling_lr_compensation`` is set (else 1), so the logical
weight ``s ⊙ W_tile`` follows SGD with rate ``lr`` in both cases.
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections import OrderedDict
from typing import Any

import torch
from torch import Tensor, nn

from analogtrain.configs.entry import check_rpu_config
from analogtrain.configs.enums import RPUDataType
from analogtrain.configs.read_only import freeze_config
from analogtrain.errors import (
    AnalogTrainError,
    ArgumentError,
    NotSimulatedError,
    check_positive_int,
)
from analogtrain.kernels.io_checks import all_finite, values_checked, values_were_checked
from analogtrain.module_entry import module_entry
from analogtrain.nn.context import AnalogContext
from analogtrain.nn.ddp_guard import check_not_in_ddp
from analogtrain.nn.function import AnalogFunction
from analogtrain.rng import make_generator, resolve_seed
from analogtrain.tiles import create_tile

__all__ = ["AnalogTileModule"]


_EXTRA_STATE_KEY = "_extra_state"  # torch's state_dict suffix for get_extra_state


def tile_dtype(rpu_config: Any) -> torch.dtype:
    """The torch dtype of ``rpu_config.runtime.data_type`` (float32 or float64)."""
    data_type = rpu_config.runtime.data_type
    if data_type == RPUDataType.DOUBLE:
        return torch.float64
    if data_type == RPUDataType.FLOAT:
        return torch.float32
    raise NotSimulatedError(f"runtime.data_type={data_type} (only FLOAT and DOUBLE)")


def _count_non_finite(t: Tensor) -> int:
    if t.numel() == 0 or all_finite(t):  # one compiled scan where it applies
        return 0
    return int((~torch.isfinite(t)).sum())


def check_weight_shapes(
    weight: Tensor,
    bias: Tensor | None,
    out_size: int,
    in_size: int,
    has_bias: bool,
    where: str = "set_weights",
) -> tuple[Tensor, Tensor | None]:
    """Validate ``weight [out, in]`` (any shape with ``out * in`` elements per row is
    reshaped) and ``bias [out]``, both real and finite; return them as detached tensors.
    Errors start with ``where`` (the layer and the call)."""
    weight = torch.as_tensor(weight).detach()
    if weight.dim() < 2 or weight.shape[0] != out_size or weight[0].numel() != in_size:
        raise ArgumentError(
            f"{where}: weight has shape {tuple(weight.shape)}, expected ({out_size}, {in_size})"
        )
    if not (weight.is_floating_point() or weight.dtype in _INT_DTYPES):
        raise ArgumentError(f"{where}: weight has dtype {weight.dtype}, expected a real dtype")
    weight = weight.reshape(out_size, in_size)
    if (bad := _count_non_finite(weight)) > 0:
        raise ArgumentError(
            f"{where}: weight has {bad} NaN/inf values of {weight.numel()}; nothing was written"
        )
    if bias is not None:
        if not has_bias:
            raise ArgumentError(
                f"{where}: a bias was given but the layer was built with bias=False"
            )
        bias = torch.as_tensor(bias).detach()
        if bias.numel() != out_size:
            raise ArgumentError(
                f"{where}: bias has shape {tuple(bias.shape)}, expected ({out_size},)"
            )
        if not (bias.is_floating_point() or bias.dtype in _INT_DTYPES):
            raise ArgumentError(f"{where}: bias has dtype {bias.dtype}, expected a real dtype")
        bias = bias.reshape(out_size)
        if (bad := _count_non_finite(bias)) > 0:
            raise ArgumentError(
                f"{where}: bias has {bad} NaN/inf values of {out_size}; nothing was written"
            )
    return weight, bias


def check_omega(omega: object, where: str) -> float | None:
    """``weight_scaling_omega`` as a float (None stays None): a finite real ``>= 0``."""
    if omega is None:
        return None
    if isinstance(omega, bool) or not isinstance(omega, (int, float)):
        raise ArgumentError(f"{where}: weight_scaling_omega must be a real number, got {omega!r}")
    if not math.isfinite(omega) or omega < 0:
        raise ArgumentError(f"{where}: weight_scaling_omega must be finite and >= 0, got {omega!r}")
    return float(omega)


def check_finite_input(x: Tensor, where: str | nn.Module) -> None:
    """ArgumentError (naming ``where``, a text or the module to describe, and the count) if
    ``x`` holds NaN or inf; run before any tile draws noise so that a rejected forward
    advances no generator. Skipped inside :class:`~analogtrain.kernels.io_checks.
    values_checked` (a layer grid checked the whole input already)."""
    if values_were_checked():
        return
    if (bad := _count_non_finite(x)) > 0:
        if isinstance(where, nn.Module):
            where = describe_module(where)
        raise ArgumentError(
            f"{where}: input has {bad} NaN/inf values of {x.numel()} (shape {tuple(x.shape)})"
        )


def describe_module(module: nn.Module) -> str:
    """``'<path>' Class(sizes)`` (the path once :func:`~analogtrain.nn.atomic.label_analog_modules`
    ran), for error messages."""
    path = getattr(module, "module_path", None)
    text = f"{type(module).__name__}({module.extra_repr()})"
    return f"{path!r} {text}" if path else text


_INT_DTYPES = (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8)


class AnalogTileModule(nn.Module):
    """An analog tile of ``out_size x in_size`` weights with bias and scales.

    Args:
        out_size: number of outputs (rows of the weight matrix).
        in_size: number of inputs (columns, without an analog bias column).
        rpu_config: the resistive processing unit configuration (deep-copied).
        bias: whether the layer has a bias (digital or analog per ``rpu_config.mapping``).
        device: torch device of the tile state.

    Attributes:
        data_parallel: the data-parallel hook of :mod:`analogtrain.distributed` (None when the
            module is not replicated): it exchanges the update pairs in :meth:`update` and
            lends each rank its own MVM noise stream (:meth:`mvm_scope`).
    """

    data_parallel: Any = None
    tile: Any = module_entry("_modules")  # the AnalogTileBase
    analog_ctx: AnalogContext = module_entry("_parameters")
    mapping_scales: Tensor | None = module_entry("_buffers")
    bias: nn.Parameter | None = module_entry("_parameters")
    out_scaling_alpha: nn.Parameter | None = module_entry("_parameters")

    def __init__(
        self,
        out_size: int,
        in_size: int,
        rpu_config: Any,
        bias: bool = False,
        *,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        check_positive_int(out_size, "out_size")
        check_positive_int(in_size, "in_size")
        check_rpu_config(rpu_config, f"{type(self).__name__}(rpu_config=...)")
        rpu_config = freeze_config(copy.deepcopy(rpu_config))  # read-only: configs/read_only.py
        mapping = rpu_config.mapping
        pre_post = getattr(rpu_config, "pre_post", None)
        if pre_post is not None and pre_post.input_range.enable:
            raise NotSimulatedError(
                "pre_post.input_range.enable=True (input-range learning) is not simulated"
            )
        self.out_size = out_size
        self.in_size = in_size
        self.rpu_config = rpu_config
        self.digital_bias = bool(bias) and mapping.digital_bias
        self.analog_bias = bool(bias) and not mapping.digital_bias
        self.x_size = in_size + int(self.analog_bias)

        self.tile = create_tile(
            rpu_config, out_size, self.x_size, device=device, dtype=tile_dtype(rpu_config)
        )
        factory = {"device": self.tile.device, "dtype": self.tile.dtype}

        self.bias: nn.Parameter | None = (
            nn.Parameter(torch.zeros(out_size, **factory)) if self.digital_bias else None
        )
        self.mapping_scales: Tensor | None
        if mapping.weight_scaling_omega > 0:
            n = out_size if mapping.weight_scaling_columnwise else 1
            self.register_buffer("mapping_scales", torch.ones(n, **factory))
        else:
            self.register_buffer("mapping_scales", None)
        self.out_scaling_alpha: nn.Parameter | None = None
        if mapping.learn_out_scaling:
            n = out_size if mapping.out_scaling_columnwise else 1
            self.out_scaling_alpha = nn.Parameter(torch.ones(n, **factory))
        self.analog_ctx = AnalogContext(self, data=torch.ones((), **factory))

    # ------------------------------------------------------------------ forward
    def forward(self, x: Tensor) -> Tensor:
        """``x [..., in_size]`` -> ``[..., out_size]`` (see the module docstring)."""
        if not isinstance(x, Tensor):
            raise ArgumentError(
                f"{describe_module(self)}: input must be a torch.Tensor, got {type(x).__name__}"
            )
        if x.shape[-1:] != (self.in_size,):
            raise ArgumentError(
                f"{describe_module(self)}: input has shape {tuple(x.shape)}; its last "
                f"dimension must be {self.in_size}"
            )
        analog_ctx = self.analog_ctx
        if x.dtype != analog_ctx.dtype:
            raise ArgumentError(
                f"{describe_module(self)}: input dtype {x.dtype} does not match the tile "
                f"dtype {analog_ctx.dtype}"
            )
        check_not_in_ddp(self)
        check_finite_input(x, self)
        with values_checked():  # the tile and its kernels need not scan x again
            y = AnalogFunction.apply(analog_ctx, x)
        if self.out_scaling_alpha is not None:
            y = y * self.out_scaling_alpha
        bias = self.bias
        if bias is not None:
            y = y + bias
        return y

    # Hooks used by AnalogFunction -------------------------------------------
    def tile_input(self, x: Tensor) -> Tensor:
        """``x [m, in]`` -> crossbar input ``[m, x_size]`` (analog bias column of ones)."""
        if self.analog_bias:
            x = torch.cat([x, x.new_ones(x.shape[0], 1)], dim=1)
        return x

    def tile_input_grad(self, grad: Tensor) -> Tensor:
        """Drop the analog bias column from a backward result ``[m, x_size]``."""
        return grad[:, : self.in_size] if self.analog_bias else grad

    def mvm_scope(self) -> contextlib.AbstractContextManager[Any]:
        """The context the forward and backward MVMs run in: under data parallelism the
        rank's own noise stream (:meth:`AnalogTileBase.use_generator`), else nothing."""
        hook = self.data_parallel
        if hook is None:
            return contextlib.nullcontext()
        return self.tile.use_generator(hook.mvm_generator(self))

    def gradient_bound(self) -> float | None:
        """``0.999 · out_scale · out_bound`` of the forward IO, or None if unbounded."""
        io = getattr(self.rpu_config, "forward", None)  # FloatingPointRPUConfig has none
        if io is None or io.out_bound <= 0:
            return None
        return 0.999 * io.out_scale * io.out_bound

    def store_pair(self, analog_ctx: AnalogContext, x: Tensor, d: Tensor) -> None:
        """Keep ``(x [m, x_size], d [m, out])`` for the optimizer (called in backward); in
        CPU memory when ``runtime.offload_input`` / ``offload_gradient`` ask for it."""
        runtime = self.rpu_config.runtime
        x = x.detach() if x.requires_grad else x
        d = d.detach() if d.requires_grad else d
        analog_ctx.store(
            x.cpu() if runtime.offload_input else x, d.cpu() if runtime.offload_gradient else d
        )

    # ------------------------------------------------------------------ update
    @property
    def mapping_lr_scale(self) -> float:
        """``1 / mean(s)`` with ``weight_scaling_lr_compensation``, else 1."""
        if (
            self.mapping_scales is None
            or not self.rpu_config.mapping.weight_scaling_lr_compensation
        ):
            return 1.0
        return 1.0 / float(self.mapping_scales.mean())

    def update(self, x: Tensor, d: Tensor, lr: float | None = None) -> None:
        """One pulsed update with ``x [m, x_size]``, ``d [m, out]`` (raw output gradients) at
        ``lr``, or at the tile's learning rate (:meth:`set_learning_rate`) when None."""
        rate = self.tile.get_learning_rate() if lr is None else lr
        if self.data_parallel is not None:  # the one point where replicas exchange pairs
            x, d = self.data_parallel.gather_pairs(self, x, d)
            with values_checked(False):  # other ranks' rows: scanned by the tile
                self._update_tile(x, d, rate)
            return
        self._update_tile(x, d, rate)

    def _update_tile(self, x: Tensor, d: Tensor, rate: float) -> None:
        scales = self.mapping_scales
        if scales is None:  # no mapping scales: lr_scale is 1
            self.tile.update(x, d, rate * 1.0)
            return
        lr_scale = self.mapping_lr_scale
        d = d / (scales * lr_scale)
        with values_checked(False):  # the division may overflow: the tile scans d again
            self.tile.update(x, d, rate * lr_scale)

    def set_learning_rate(self, learning_rate: float) -> None:
        """The learning rate of :meth:`update` calls without one (aihwkit's tile API; the
        optimizers pass their group's rate instead)."""
        self.tile.set_learning_rate(learning_rate)

    def get_learning_rate(self) -> float:
        """The learning rate set by :meth:`set_learning_rate` (the tile's)."""
        return self.tile.get_learning_rate()

    def post_update_step(self) -> None:
        """Diffusion then decay of the tile, once per optimizer step (single-tile.md 2.10)."""
        self.tile.post_update_step()

    def analog_tile_modules(self) -> list[AnalogTileModule]:
        """The tile modules (crossbars) of this module: itself."""
        return [self]

    # ------------------------------------------------------------- weights I/O
    def _scales_column(self) -> Tensor | None:
        """Combined digital output factor ``s ⊙ α_out`` as a CPU column ``[n, 1]``."""
        factor = None
        if self.mapping_scales is not None:
            factor = self.mapping_scales.detach().cpu().reshape(-1, 1)
        if self.out_scaling_alpha is not None:
            alpha = self.out_scaling_alpha.detach().cpu().reshape(-1, 1)
            factor = alpha if factor is None else factor * alpha
        return factor

    @torch.no_grad()
    def get_weights(
        self, apply_weight_scaling: bool = True, realistic: bool = False
    ) -> tuple[Tensor, Tensor | None]:
        """The logical ``(weight [out, in], bias [out] or None)`` as CPU tensors.

        ``apply_weight_scaling=False`` returns the raw crossbar values (no ``s``, no
        ``α_out``). ``realistic=True`` estimates the matrix by a least-squares fit to
        ``10 · in`` noisy forward passes of standard-normal inputs (eval mode).
        """
        if realistic:
            wc = self._estimate_weights()
            if not apply_weight_scaling and (factor := self._scales_column()) is not None:
                wc = wc / factor
        else:
            wc = self.tile.get_weights().detach().cpu().clone()
            if apply_weight_scaling and (factor := self._scales_column()) is not None:
                wc = wc * factor
        if self.analog_bias:
            return wc[:, : self.in_size].contiguous(), wc[:, self.in_size].clone()
        bias = self.bias.detach().cpu().clone() if self.bias is not None else None
        return wc, bias

    def _estimate_weights(self) -> Tensor:
        """Least-squares estimate of the scaled crossbar matrix ``[out, x_size]``."""
        gen = make_generator(resolve_seed(0))
        n = 10 * self.in_size
        x = torch.randn(n, self.in_size, generator=gen, dtype=self.analog_ctx.dtype)
        was_training = self.training
        self.eval()
        try:
            y = self(x.to(self.analog_ctx.device)).detach().cpu()
        finally:
            self.train(was_training)
        if self.bias is not None:
            y = y - self.bias.detach().cpu()
        a = self.tile_input(x.cpu()).double()
        solution = torch.linalg.lstsq(a, y.double()).solution  # [x_size, out]
        return solution.T.to(x.dtype).contiguous()

    @torch.no_grad()
    def set_weights(
        self,
        weight: Tensor,
        bias: Tensor | None = None,
        apply_weight_scaling: bool = True,
        realistic: bool = False,
        weight_scaling_omega: float | None = None,
    ) -> None:
        """Write the logical weights (compounds.md 4.7, 4.8).

        The crossbar receives ``[W, b?] / s`` exactly (then the tile's set-weights rule:
        device clipping, compound rules). With ``apply_weight_scaling`` the mapping scales
        are recomputed from ``weight_scaling_omega`` (default: the config's) and ``α_out`` is
        reset to 1. A ``None`` bias leaves the current bias unchanged.
        """
        if realistic:
            raise NotSimulatedError("set_weights(realistic=True) (closed-loop programming)")
        # Everything is checked and computed first; the tile is written first (it may still
        # refuse), the scales, output scales and bias only after it accepted.
        where = f"{describe_module(self)}.set_weights"
        has_bias = self.digital_bias or self.analog_bias
        weight, bias = check_weight_shapes(
            weight, bias, self.out_size, self.in_size, has_bias, where
        )
        weight_scaling_omega = check_omega(weight_scaling_omega, where)
        dtype = self.analog_ctx.dtype
        wc = weight.to(dtype=dtype, device="cpu")
        if self.analog_bias:
            col = bias if bias is not None else self.get_weights(apply_weight_scaling)[1]
            wc = torch.cat([wc, col.to(wc).reshape(-1, 1)], dim=1)
        new_scales: Tensor | None = None
        if apply_weight_scaling:
            mapping = self.rpu_config.mapping
            omega = (
                mapping.weight_scaling_omega
                if weight_scaling_omega is None
                else weight_scaling_omega
            )
            if omega > 0:
                if mapping.weight_scaling_columnwise:
                    alpha = wc.abs().amax(dim=1)
                else:
                    alpha = wc.abs().max().reshape(1)
                alpha = alpha / omega
                alpha[alpha == 0] = 1.0
                if (bad := _count_non_finite(alpha)) > 0:
                    raise ArgumentError(
                        f"{where}: weight_scaling_omega={omega!r} gives {bad} non-finite "
                        "mapping scales; nothing was written"
                    )
                wc = wc / alpha.reshape(-1, 1)
                new_scales = alpha.to(self.analog_ctx.device)
        self.tile.set_weights(wc.to(self.analog_ctx.device))
        if new_scales is not None:
            self.mapping_scales = new_scales
        if apply_weight_scaling and self.out_scaling_alpha is not None:
            self.out_scaling_alpha.fill_(1.0)
        if self.digital_bias and bias is not None:
            self.bias.copy_(bias.to(self.bias))

    # ------------------------------------------------------------------ aihwkit accessors
    @staticmethod
    def get_analog_state_name(prefix: str) -> str:
        """The ``state_dict`` key of the analog state of the tile module saved under ``prefix``
        (aihwkit ``TileModule.get_analog_state_name``): here the tile's extra state, which holds
        its config, seeds, generator state and counters (``prefix + "tile._extra_state"``)."""
        return f"{prefix}tile.{_EXTRA_STATE_KEY}"

    @property
    def shared_weights(self) -> None:
        """Always None, as ``TileModule.shared_weights`` in aihwkit 1.2.0: there it names an
        extra weight tensor handed to a C++ simulator; here the tile's weights are torch
        buffers already (``tile.array.weight``), so no shared copy exists."""
        return None

    def get_analog_ctx(self) -> AnalogContext:
        """The :class:`AnalogContext` standing for this tile in optimizer groups (aihwkit)."""
        return self.analog_ctx

    @torch.no_grad()
    def get_scales(self) -> Tensor | None:
        """The per-output factor applied to the tile's MVM output: mapping scales times the
        learned output scales (whichever exist), or None when there are none (aihwkit)."""
        scales = [s for s in (self.mapping_scales, self.out_scaling_alpha) if s is not None]
        if not scales:
            return None
        return scales[0].detach().clone() if len(scales) == 1 else scales[0] * scales[1]

    def get_hidden_parameters(self) -> OrderedDict[str, Tensor]:
        """The tile's hidden parameters (compounds.md 3.11)."""
        return self.tile.get_hidden_parameters()

    def set_hidden_parameters(self, params: OrderedDict[str, Tensor]) -> None:
        """Restore the tile's hidden parameters (names must match).

        The call is tried on a copy of the tile first: a rejected set (wrong names, shapes,
        NaN values, a compound's second device refusing) leaves the tile untouched.
        """
        trial = copy.deepcopy(self.tile)
        try:
            trial.set_hidden_parameters(params)
        except AnalogTrainError as exc:
            raise type(exc)(
                f"{describe_module(self)}.set_hidden_parameters: {exc}; nothing was written"
            ) from exc
        finally:
            del trial
        self.tile.set_hidden_parameters(params)

    # A checkpoint may hold mapping scales a fresh module does not have yet (scales set with
    # an explicit ``weight_scaling_omega``): create the buffer before torch copies into it.
    def _load_from_state_dict(
        self, state_dict: dict[str, Any], prefix: str, *args: Any, **kwargs: Any
    ) -> None:
        saved = state_dict.get(prefix + "mapping_scales")
        if saved is not None and (
            self.mapping_scales is None or self.mapping_scales.shape != saved.shape
        ):
            self.mapping_scales = torch.ones(
                saved.shape, dtype=self.analog_ctx.dtype, device=self.analog_ctx.device
            )
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def extra_repr(self) -> str:
        bias = "digital" if self.digital_bias else ("analog" if self.analog_bias else "none")
        return (
            f"out_size={self.out_size}, in_size={self.in_size}, bias={bias}, "
            f"tile={type(self.tile).__name__}"
        )


def split_sizes(size: int, max_size: int) -> list[int]:
    """Near-equal split of ``size`` into ``ceil(size / max_size)`` parts, larger first
    (``max_size <= 0``: no split). E.g. ``split_sizes(600, 256) == [200, 200, 200]``."""
    if max_size <= 0 or size <= max_size:
        return [size]
    n = math.ceil(size / max_size)
    base, extra = divmod(size, n)
    return [base + 1] * extra + [base] * (n - extra)
