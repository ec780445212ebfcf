"""CUDA-graph replay of the supernet's loss passes (forward + backward of one cell, or of the DARTS mixture).

Why: at C=16, batch 64 the GPU runs thousands of tiny kernels per step and idles on their launch overhead;
a captured graph launches them all at once. A graph is captured per (mode, cell, shapes, precision, which
gradients) and kept in an LRU cache, so it pays off where cells repeat (GDAS, GDAS-A, E²NAS, DARTS' single
mixture) and is skipped by ``auto`` for methods whose cells rarely repeat (RandomNAS).

What is inside a graph and what is not (the correctness choices):

* **Inside**: the forward pass, the cross-entropy, and ``torch.autograd.grad`` of it w.r.t. the supernet weights
  the cell uses and, in the arch step, w.r.t. the op weights ``H``/``W``. BN running statistics are updated in
  place by every replay, exactly as by an eager forward. Nothing random runs there (no dropout; the Gumbel
  noise and the D-VAE samples are drawn by the searcher outside), so no graph-safe RNG is needed.
* **Outside**: the optimizer steps (SGD with the per-step cosine lr, Adam on the arch parameters), gradient
  clipping, and everything before ``H`` (softmax of alpha, the D-VAE decoder, the novelty term). So lr
  changes, clipping and the optimizers need no capturable variants, and the searchers stay unchanged.
* **The glue**: a replay returns its loss through :class:`_ReplayedLoss`, an autograd function whose backward
  hands out the gradients the graph already computed (scaled by the incoming gradient). The engine's
  ``loss.backward()``, the complementation loss' weighted sum of three cells and the gradient from ``H`` back
  to alpha or z all work as in eager mode.
* Outputs of a replay live in the graph's static memory and are overwritten by the next replay, so they are
  copied out (loss, logits and one flat gradient buffer: three copies per replay).
* Capture warms up on a side stream (cuDNN picks its kernels there), restoring the BN statistics afterwards
  so the warm-up leaves no trace. Any capture error falls back to eager for that key, with ONE warning per
  runner, and the key is not tried again.

On the CPU (or with graphs off) every call is the plain eager computation: results are unchanged.
The capture function is injectable, so the cache, keys, LRU and fallback are tested on the CPU.
"""

from __future__ import annotations

import contextlib
import warnings
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from e2nas.engine.config import CUDA_GRAPH_MODES as GRAPH_MODES
from e2nas.engine.config import PRECISIONS

#: ``capture(fn, static_inputs, pool) -> (replay, outputs, pool)``: record ``fn(*static_inputs)`` so that
#: ``replay()`` recomputes ``outputs`` in place from the current contents of ``static_inputs``
Capture = Callable[[Callable[..., tuple[torch.Tensor, ...]], Sequence[torch.Tensor], Any], tuple[Any, ...]]


def graphs_wanted(mode: str, device: torch.device, cells_repeat: bool) -> bool:
    """Whether a run should replay graphs: never off CUDA; ``auto`` only for methods whose cells repeat."""
    if mode not in GRAPH_MODES:
        raise ValueError(f"unknown cuda_graphs mode {mode!r}; choose one of {', '.join(GRAPH_MODES)}")
    return device.type == "cuda" and (mode == "on" or (mode == "auto" and cells_repeat))


def autocast_context(precision: str, device: torch.device) -> contextlib.AbstractContextManager:
    """bf16 autocast for ``precision="bf16"`` (the graph cache must stay off under capture), else nothing."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16, cache_enabled=False)


def cuda_capture(
    fn: Callable[..., tuple[torch.Tensor, ...]], static_inputs: Sequence[torch.Tensor], pool: Any, warmup: int = 2
) -> tuple[Callable[[], None], tuple[torch.Tensor, ...], Any]:
    """Capture ``fn`` into a CUDA graph (warm-up on a side stream first). All graphs share one memory pool:
    their outputs are copied out after each replay, so only one graph's intermediates are ever live."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(warmup):
            fn(*static_inputs)
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph, pool=pool):
        outputs = fn(*static_inputs)
    return graph.replay, outputs, graph.pool()


class _ReplayedLoss(torch.autograd.Function):
    """A loss value whose gradients were computed already (by a graph): backward hands them out."""

    @staticmethod
    def forward(ctx: Any, loss: torch.Tensor, flat: torch.Tensor, layout: tuple, *inputs: torch.Tensor) -> torch.Tensor:
        ctx.layout = layout
        ctx.save_for_backward(flat)
        return loss.clone()  # out of the graph's static memory

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        (flat,) = ctx.saved_tensors
        grads: list[torch.Tensor | None] = []
        for item in ctx.layout:
            if item is None:
                grads.append(None)
            else:
                start, shape = item
                n = 1
                for d in shape:
                    n *= d
                grads.append(flat[start : start + n].view(shape) * grad_out)
        return (None, None, None, *grads)


@dataclass
class _Entry:
    replay: Callable[[], None]
    inputs: tuple[torch.Tensor, ...]
    outputs: tuple[torch.Tensor, ...]
    layout: tuple  # per differentiable input: (offset into the flat gradient, shape) or None (unused)


class StepGraphs:
    """Replays loss passes from captured graphs; :meth:`loss` is the one entry point.

    ``fn(*data, *arch)`` returns ``(loss, logits)``. The runner captures it together with the gradients of
    ``loss`` w.r.t. ``params`` (persistent tensors, e.g. the supernet weights: read in place by the graph) and
    ``arch`` (this step's op weights ``H``/``W``: copied into static buffers like ``data``), and returns
    ``(loss, logits)`` where ``loss`` carries those gradients to autograd. ``key`` must determine everything
    ``fn`` does besides its tensor inputs (the cell, the mode); shapes, dtypes, strides, devices, which inputs
    get gradients and the precision are added here.
    """

    def __init__(
        self,
        capture: Capture | None = None,
        cache_size: int = 64,
        warmup: int = 2,
        precision: str = "fp32",
        buffers: Callable[[], list[torch.Tensor]] | None = None,
        warn: Callable[[str], None] | None = None,
        min_uses: int = 2,
    ) -> None:
        self.capture = capture or (lambda fn, inputs, pool: cuda_capture(fn, inputs, pool, warmup))
        self.cache_size = cache_size
        # a key is captured on its min_uses-th call: a cell seen once (early GDAS, a one-off complement) would
        # cost a capture (measured cost: docs/engine.md) and never pay it back
        self.min_uses = min_uses
        self.seen: OrderedDict[Hashable, int] = OrderedDict()
        self.precision = precision
        self.buffers = buffers or (lambda: [])
        self.warn = warn or (lambda msg: warnings.warn(msg, RuntimeWarning, stacklevel=3))
        self.cache: OrderedDict[Hashable, _Entry] = OrderedDict()
        self.failed: set[Hashable] = set()
        self.warned = False
        self.pool: Any = None
        self.stats = {"captures": 0, "replays": 0, "eager": 0, "evictions": 0, "failures": 0}

    def full_key(self, key: Hashable, data: Sequence[torch.Tensor], params: int, arch: int) -> Hashable:
        meta = tuple((tuple(t.shape), t.dtype, t.stride(), str(t.device)) for t in data)
        return (key, meta, params, arch, self.precision)

    def loss(
        self,
        key: Hashable,
        fn: Callable[..., tuple[torch.Tensor, torch.Tensor]],
        data: Sequence[torch.Tensor],
        params: Sequence[torch.Tensor] = (),
        arch: Sequence[torch.Tensor] = (),
    ) -> tuple[torch.Tensor, torch.Tensor]:
        data, params, arch = tuple(data), tuple(params), tuple(arch)
        k = self.full_key(key, data + arch, len(params), len(arch))
        entry = self.cache.get(k)
        if entry is None and k not in self.failed and self._due(k):
            entry = self._capture(k, fn, data, params, arch)
        if entry is None:
            self.stats["eager"] += 1
            return fn(*data, *arch)
        self.cache.move_to_end(k)
        with torch.no_grad():
            for static, x in zip(entry.inputs, data + arch, strict=True):
                static.copy_(x)
        entry.replay()
        self.stats["replays"] += 1
        loss, logits, flat = entry.outputs
        return _ReplayedLoss.apply(loss, flat.clone(), entry.layout, *params, *arch), logits.clone()

    def _due(self, k: Hashable) -> bool:
        n = self.seen.pop(k, 0) + 1
        if n >= self.min_uses:
            return True
        self.seen[k] = n
        while len(self.seen) > 8 * self.cache_size:  # bounded memory of one-off keys
            self.seen.popitem(last=False)
        return False

    def _capture(
        self,
        k: Hashable,
        fn: Callable[..., tuple[torch.Tensor, torch.Tensor]],
        data: tuple[torch.Tensor, ...],
        params: tuple[torch.Tensor, ...],
        arch: tuple[torch.Tensor, ...],
    ) -> _Entry | None:
        static = tuple(x.detach().clone() for x in data) + tuple(a.detach().clone().requires_grad_(True) for a in arch)
        wrt = params + static[len(data) :]
        layout: list[Any] = []

        def step(*inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
            loss, logits = fn(*inputs)
            grads = torch.autograd.grad(loss, wrt, allow_unused=True) if wrt else ()
            layout.clear()
            flat, offset = [], 0
            for g in grads:
                if g is None:
                    layout.append(None)
                    continue
                layout.append((offset, tuple(g.shape)))
                flat.append(g.reshape(-1))
                offset += g.numel()
            return loss.detach(), logits.detach(), torch.cat(flat) if flat else loss.new_zeros(0)

        saved = [b.clone() for b in self.buffers()]
        try:
            replay, outputs, self.pool = self.capture(step, static, self.pool)
        except Exception as err:  # noqa: BLE001 - any capture problem: this key runs eagerly from now on
            self.failed.add(k)
            self.stats["failures"] += 1
            if not self.warned:
                self.warned = True
                self.warn(f"CUDA graph capture failed ({type(err).__name__}: {err}); running these steps eagerly")
            return None
        finally:  # warm-up passes must leave no trace in the BN statistics
            with torch.no_grad():
                for b, v in zip(self.buffers(), saved, strict=True):
                    b.copy_(v)
        entry = _Entry(replay, static, tuple(outputs), tuple(layout))
        self.cache[k] = entry
        self.stats["captures"] += 1
        while len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)
            self.stats["evictions"] += 1
        return entry


def speed_knobs(
    config: Any, device: torch.device, searcher: Any, supernet: torch.nn.Module
) -> tuple[StepGraphs | None, Callable[[], contextlib.AbstractContextManager]]:
    """The run's graph runner (None: eager) and autocast factory, from ``cuda_graphs`` and ``precision``."""
    precision = config.precision

    def autocast() -> contextlib.AbstractContextManager:
        return autocast_context(precision, device)

    if not graphs_wanted(config.cuda_graphs, device, type(searcher).cells_repeat):
        return None, autocast
    return StepGraphs(precision=precision, buffers=lambda: list(supernet.buffers())), autocast
