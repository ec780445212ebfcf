"""Paper-protocol speed: the engine's bilevel step per method at C=16, N=5, batch 64, and what 250 epochs take.

Each case is a real search engine (``SearchEngine._run_epoch`` with the epoch-end work switched off) on the
embedded CIFAR-10 sample, so a step is exactly what a search runs: cosine lr, the searcher's weight loss
(the complementation loss for E²NAS), backward, clip 5, SGD, the arch step. Cases are timed round-robin
(median of ``--repeats`` blocks of ``--steps`` steps after ``--warmup`` steps) so that on a shared machine
each sees the same load. Modes: ``eager``; on CUDA also ``graphs`` (``cuda_graphs=on``) and ``bf16``
(graphs + bf16 autocast). AutoDL-Projects' GDAS supernet (``xautodl``, optional) is timed in the same run on
synthetic batches. Projection: step time x 391 steps (25k images / 64) x the method's paper epochs.

The E²NAS overhead (``--overhead``): E²NAS steps against "its supernet passes alone" -- a stand-in searcher that
trains the very cells E²NAS trained (same complementation passes) and runs the same straight-through valid pass
back to H, without the D-VAE, the novelty term, the refits or z's Adam. Timed in alternating blocks after the
novelty model is ready. The issue's target: overhead <= 10 %.

    python benchmarks/paper_protocol.py --json [--device cpu|cuda] [--steps 3 --repeats 3] [--out FILE]
    python benchmarks/paper_protocol.py --overhead-only --preset cpu-small --json   # also runs on older code
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from xautodl_peer import gdas_supernet  # the peer module next to this script

STEPS_PER_EPOCH = 391  # 25,000 search-train images / batch 64
DEFAULT_METHODS = "gdas,gdas-a,e2nas,random,setn,enas,darts-v1,darts-v2"


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def engine_stepper(cfg: Any, out: Path, weight_only: bool = False) -> tuple[Any, Callable[[int], None]]:
    """(engine, run(n)): ``run`` executes n real engine steps (epoch bookkeeping off, no checkpoints);
    ``weight_only``: the arch step is skipped (the docs/reference/peers.md / issue-15 "weight step" comparison)."""
    import e2nas.engine.loop as loop
    from e2nas.engine import SearchEngine

    eng = SearchEngine(cfg, out, progress=False)
    eng._build()
    eng.epoch, eng.step, eng.epoch_started = 0, 0, False
    eng.meters, eng.epoch_time, eng.elapsed = loop._Meters(), 0.0, 0.0
    eng.history, eng.best, eng.finished = [], None, False
    eng.t_start = eng.t_mark = time.perf_counter()
    eng.bar = loop._Progress(False, 0, 0)
    eng._end_epoch = lambda: None  # no log line, no checkpoint: only steps are timed
    if weight_only:
        eng.searcher.arch_step = lambda *a, **kw: {}
    per_epoch = min(len(eng.train_loader), STEPS_PER_EPOCH)

    def run(n: int) -> None:
        while n > 0:
            k = min(n, per_epoch)
            eng.steps, eng.step, eng.epoch_started = k, 0, False
            eng._run_epoch(None)
            eng.epoch = (eng.epoch + 1) % max(cfg.epochs - 1, 1)
            eng.meters = loop._Meters()
            n -= k

    return eng, run


def _config(method: str, args: argparse.Namespace, mode: str, preset: str = "paper") -> Any:
    from e2nas.engine import make_config

    extra: dict[str, Any] = {}
    if mode in ("graphs", "bf16"):
        extra["cuda_graphs"] = "on"
    if mode == "bf16":
        extra["precision"] = "bf16"
    if preset == "paper":
        extra.update(C=args.C, N=args.N, batch_size=args.batch)
    return make_config(preset, method, dataset="embedded", device=args.device, threads=args.threads, **extra)


def xautodl_gdas(
    args: argparse.Namespace, device: torch.device, weight_only: bool = False
) -> Callable[[int], None] | None:
    """AutoDL-Projects' GDAS supernet, one weight (+ one arch) step per call (the config of
    docs/reference/peers.md), or None."""
    peer = gdas_supernet(args.C, args.N, device)
    if peer is None:
        return None
    net, w_opt, a_opt = peer
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(args.batch, 3, 32, 32, generator=g).to(device), torch.randint(0, 10, (args.batch,)).to(device)
    params = list(net.get_weights())

    def run(n: int) -> None:
        for _ in range(n):
            net.train()
            w_opt.zero_grad()
            F.cross_entropy(net(x)[1], y).backward()
            torch.nn.utils.clip_grad_norm_(params, 5.0)
            w_opt.step()
            if weight_only:
                continue
            a_opt.zero_grad()
            F.cross_entropy(net(x)[1], y).backward()
            a_opt.step()

    return run


def time_round_robin(cases: dict[str, Callable[[int], None]], args: argparse.Namespace, device: torch.device):
    for run in cases.values():
        run(args.warmup)
    _sync(device)
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(args.repeats):
        for name, run in cases.items():
            t = time.perf_counter()
            run(args.steps)
            _sync(device)
            times[name].append((time.perf_counter() - t) / args.steps)
    return times


def _shadow_class():
    """A searcher that replays recorded cells: E²NAS's supernet passes without E²NAS's own work."""
    from e2nas.searchers.complement import SinglePathSearcher

    class Shadow(SinglePathSearcher):
        name = "e2nas-supernet-passes"

        def __init__(self, cells: list, epsilon: float) -> None:
            super().__init__(None, epsilon)
            self.cells, self.i = cells, 0

        def train_cell(self, ctx: Any) -> Any:
            cell = self.cells[self.i % len(self.cells)]
            self.i += 1
            self.cur = cell
            return cell

        def arch_step(self, train_batch: Any, valid_batch: Any, ctx: Any) -> dict[str, float]:
            x, y = valid_batch
            H = F.one_hot(torch.tensor(self.cur.ops), 5).float().to(x.device).requires_grad_(True)
            if self.cur.connected:
                logits = ctx.supernet.forward_st(x, self.cur, H)
            else:  # E²NAS' dead_cell=mixture fallback runs the mixture
                logits = ctx.supernet.forward_mixture(x, torch.softmax(H, -1))
            torch.autograd.grad(ctx.criterion(logits, y), H)
            return {}

        def current_cell(self) -> Any:
            return self.cur

    return Shadow


def e2nas_overhead(args: argparse.Namespace, preset: str, tmp: Path) -> dict[str, Any]:
    """E²NAS step time vs the same cells' supernet passes alone; alternating blocks, medians."""
    device = torch.device(args.device)
    cfg = _config("e2nas", args, "eager", preset)
    eng, run_e2nas = engine_stepper(cfg, tmp / f"e2nas-{preset}")
    s = eng.searcher
    cells: list = []
    parts: dict[str, float] = {}

    def timed(name: str, fn: Callable) -> Callable:
        def wrapper(*a: Any, **kw: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                parts[name] = parts.get(name, 0.0) + time.perf_counter() - t

        return wrapper

    weight_loss = s.weight_loss

    def recording(batch: Any, ctx: Any) -> Any:
        out = weight_loss(batch, ctx)
        cells.append(s.step_cell)
        return out

    s.weight_loss = recording
    for attr in ("decode", "straight_through", "novelty_log_density", "_maybe_refit"):
        if hasattr(s, attr):
            setattr(s, attr, timed(attr, getattr(s, attr)))
    run_e2nas(max(args.warmup, 12))  # archive >= 10 cells: the novelty model is fitted and used
    shadow_cfg = _config("random", args, "eager", preset)
    shadow_eng, run_shadow = engine_stepper(shadow_cfg, tmp / f"shadow-{preset}")
    shadow = _shadow_class()(cells, s.epsilon)
    shadow.setup(shadow_eng.ctx)
    shadow_eng.searcher = shadow
    run_shadow(max(args.warmup, 2))  # its own first-call costs, on the warm-up cells
    e2, sh, e2_cpu, sh_cpu = [], [], [], []
    parts.clear()
    k = args.overhead_steps

    def block(run: Callable[[int], None], wall: list, cpu: list) -> None:
        t, c = time.perf_counter(), time.thread_time()
        run(k)
        _sync(device)
        wall.append((time.perf_counter() - t) / k)
        cpu.append((time.thread_time() - c) / k)

    for _ in range(args.repeats):
        start = len(cells)
        block(run_e2nas, e2, e2_cpu)
        shadow.cells, shadow.i = cells[start:], 0
        block(run_shadow, sh, sh_cpu)
    n = args.repeats * k
    e2_med, sh_med = statistics.median(e2), statistics.median(sh)
    return {
        "preset": preset,
        "C": cfg.C,
        "N": cfg.N,
        "batch": cfg.batch_size,
        "e2nas_step_s": e2_med,
        "supernet_passes_s": sh_med,
        "overhead": e2_med / sh_med - 1.0,
        # CPU time of the step's own thread: what another process's load hardly changes (on a shared machine
        # the wall times above swing by 2x); the background refit thread is not on it, by design
        "overhead_thread_cpu": statistics.median(e2_cpu) / statistics.median(sh_cpu) - 1.0,
        "e2nas_thread_cpu_s": statistics.median(e2_cpu),
        "passes_thread_cpu_s": statistics.median(sh_cpu),
        "e2nas_runs_s": e2,
        "passes_runs_s": sh,
        "inside_e2nas_ms_per_step": {k: 1e3 * v / n for k, v in parts.items()},
        "dead_cell_steps": sum(not c.connected for c in cells),
        "distinct_cells": len(set(cells)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--out", help="also write the JSON here")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--methods", default=DEFAULT_METHODS)
    ap.add_argument("--modes", default=None, help="eager,graphs,bf16 (default: all on CUDA, eager on CPU)")
    ap.add_argument("--C", type=int, default=16)
    ap.add_argument("--N", type=int, default=5)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=None, help="steps per timed block (default: 20 CUDA, 2 CPU)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=None, help="default: 10 CUDA (captures), 1 CPU")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--weight-only", default="gdas", help="methods also timed without the arch step ('' = none)")
    ap.add_argument("--overhead", default="cpu-small", help="presets for the E²NAS overhead ('' = skip)")
    ap.add_argument("--overhead-steps", type=int, default=10)
    ap.add_argument("--overhead-only", action="store_true", help="only the E²NAS overhead (runs on older code)")
    args = ap.parse_args()
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    args.steps = args.steps or (20 if cuda else 2)
    args.warmup = args.warmup if args.warmup is not None else (10 if cuda else 1)
    if args.threads:
        torch.set_num_threads(args.threads)
    modes = (args.modes or ("eager,graphs,bf16" if cuda else "eager")).split(",")
    report: dict[str, Any] = {
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if cuda else "cpu",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "config": {k: getattr(args, k) for k in ("C", "N", "batch", "steps", "repeats", "warmup")},
        "load_avg_before": os.getloadavg(),
        "methods": [],
    }
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        if not args.overhead_only:
            cases: dict[str, Callable[[int], None]] = {}
            epochs: dict[str, int] = {}
            for method in [m for m in args.methods.split(",") if m]:
                for mode in modes:
                    cfg = _config(method, args, mode)
                    cases[f"{method}/{mode}"] = engine_stepper(cfg, tmp / f"{method}-{mode}")[1]
                    epochs[f"{method}/{mode}"] = cfg.epochs
            for method in [m for m in args.weight_only.split(",") if m]:
                for mode in modes:
                    cfg = _config(method, args, mode)
                    key = f"{method}:weight/{mode}"
                    cases[key] = engine_stepper(cfg, tmp / f"{method}-w-{mode}", weight_only=True)[1]
                    epochs[key] = cfg.epochs
            for kind, weight_only in (("", False), (":weight", True)):
                peer = xautodl_gdas(args, device, weight_only)
                if peer is not None and (not weight_only or args.weight_only):
                    cases[f"xautodl-gdas{kind}/eager"], epochs[f"xautodl-gdas{kind}/eager"] = peer, 250
            times = time_round_robin(cases, args, device)
            for name, runs in times.items():
                method, mode = name.split("/")
                med = statistics.median(runs)
                wall = med * STEPS_PER_EPOCH * epochs[name]
                report["methods"].append(
                    {
                        "method": method,
                        "mode": mode,
                        "step_s": med,
                        "images_per_s": args.batch / med,
                        "runs_s": runs,
                        "paper_epochs": epochs[name],
                        "projected_search_min": wall / 60.0,
                    }
                )
            by = {(r["method"], r["mode"]): r["step_s"] for r in report["methods"]}
            refs = {"": by.get(("xautodl-gdas", "eager")), ":weight": by.get(("xautodl-gdas:weight", "eager"))}
            report["speedup_vs_xautodl_gdas"] = {
                f"{m}/{mo}": refs[":weight" if m.endswith(":weight") else ""] / t
                for (m, mo), t in by.items()
                if not m.startswith("xautodl") and refs[":weight" if m.endswith(":weight") else ""]
            } or None
            report["e2nas_vs_gdas_per_step"] = {
                mo: by[("e2nas", mo)] / by[("gdas", mo)] for mo in modes if ("e2nas", mo) in by and ("gdas", mo) in by
            }
        report["e2nas_overhead"] = [e2nas_overhead(args, p, tmp) for p in args.overhead.split(",") if p]
    report["load_avg_after"] = os.getloadavg()
    text = json.dumps(report, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n")
    if args.json:
        print(text)
        return
    for r in report["methods"]:
        print(
            f"{r['method']:14s} {r['mode']:6s} {r['step_s'] * 1e3:8.1f} ms/step {r['images_per_s']:7.0f} img/s  "
            f"{r['paper_epochs']} epochs ~ {r['projected_search_min']:.0f} min"
        )
    for o in report["e2nas_overhead"]:
        print(
            f"E²NAS overhead at {o['preset']}: {100 * o['overhead']:.1f} % wall "
            f"({o['e2nas_step_s'] * 1e3:.1f} vs {o['supernet_passes_s'] * 1e3:.1f} ms/step), "
            f"{100 * o['overhead_thread_cpu']:.1f} % step-thread CPU time"
        )


if __name__ == "__main__":
    main()
