"""Supernet train-step throughput (images/s) per searcher, and AutoDL-Projects' GDAS supernet when ``xautodl`` is
installed (optional; ``pip install --no-deps xautodl pyyaml``).

Two step kinds, each timed as the median of ``--repeats`` runs of ``--steps`` steps after ``--warmup`` steps;
the cases are timed round-robin so that on a shared machine each sees the same load:
  weight  one weight step (forward, CE, backward, clip 5, SGD) -- the reference point of docs/reference/peers.md;
  search  weight step + arch step (the engine's full bilevel step).
Cells are sampled per step, so step times vary with the sampled cells; ``gdas@2581`` pins the arch logits
(100 x one-hot) so both implementations train exactly cell 2581 every step: the apples-to-apples comparison.
Synthetic CIFAR-shaped batches; BN track_running_stats=False on both sides (the xautodl config of
docs/reference/peers.md).
e2nas rows use the engine's memory format (channels_last on CPU); ``e2nas-nchw`` shows the plain NCHW layout.

    python benchmarks/supernet_speed.py --json [--device cpu|cuda|all] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from xautodl_peer import gdas_supernet  # the peer module next to this script

PINNED = 2581  # |nor_conv_3x3~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _batch(batch: int, device: torch.device, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, 3, 32, 32, generator=g).to(device), torch.randint(0, 10, (batch,), generator=g).to(device)


def ours(method: str, pin: bool, args, device: torch.device, nhwc: bool | None = None) -> dict[str, Callable[[], None]]:
    from e2nas.engine import make_config
    from e2nas.searchers import SearchContext, create_searcher
    from e2nas.spaces import get_space
    from e2nas.spaces.nb201 import Cell, NB201Supernet

    torch.manual_seed(0)
    cfg = make_config("paper", method, C=args.C, N=args.N, batch_size=args.batch, track_running_stats=False)
    cfg.device, cfg.channels_last = device.type, nhwc
    fmt = torch.channels_last if cfg.use_channels_last() else torch.contiguous_format  # the engine's choice
    net = NB201Supernet(cfg.C, cfg.N, 10, track_running_stats=False).to(device).to(memory_format=fmt)
    opt = torch.optim.SGD(net.weights(), lr=cfg.lr, momentum=0.9, nesterov=True, weight_decay=cfg.weight_decay)
    searcher = create_searcher(method)
    gen = torch.Generator().manual_seed(0)
    ctx = SearchContext(
        supernet=net,
        config=cfg,
        space=get_space(cfg.space),
        device=device,
        w_optimizer=opt,
        criterion=torch.nn.CrossEntropyLoss(),
        generator=gen,
        valid_batches=lambda n: iter(()),
        epochs=250,
        steps_per_epoch=391,
    )
    searcher.setup(ctx)
    if pin:
        with torch.no_grad():
            searcher.alpha.copy_(100.0 * F.one_hot(torch.tensor(Cell.parse(PINNED).ops), 5).float())
    train, valid = _batch(args.batch, device, 1), _batch(args.batch, device, 2)
    train, valid = [(x.contiguous(memory_format=fmt), y) for x, y in (train, valid)]
    params = list(net.weights())

    def weight() -> None:
        net.train()
        opt.zero_grad(set_to_none=True)
        out = searcher.weight_loss(train, ctx)
        loss = out[0] if isinstance(out, tuple) else out
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()

    def search() -> None:
        weight()
        searcher.arch_step(train, valid if searcher.needs_valid_batch else None, ctx)

    return {"weight": weight, "search": search}


def xautodl_gdas(pin: bool, args, device: torch.device) -> dict[str, Callable[[], None]] | None:
    peer = gdas_supernet(args.C, args.N, device)
    if peer is None:
        return None
    net, w_opt, a_opt = peer
    if pin:
        from e2nas.spaces.nb201 import Cell

        with torch.no_grad():
            net.arch_parameters.copy_(100.0 * F.one_hot(torch.tensor(Cell.parse(PINNED).ops), 5).float())
    train, valid = _batch(args.batch, device, 1), _batch(args.batch, device, 2)
    params = list(net.get_weights())

    def weight() -> None:
        net.train()
        w_opt.zero_grad()
        _, logits = net(train[0])
        F.cross_entropy(logits, train[1]).backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        w_opt.step()

    def search() -> None:
        weight()
        a_opt.zero_grad()
        _, logits = net(valid[0])
        F.cross_entropy(logits, valid[1]).backward()
        a_opt.step()

    return {"weight": weight, "search": search}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--device", default="all", choices=["cpu", "cuda", "all"])
    ap.add_argument("--methods", default="random,gdas,gdas-a", help="comma-separated searcher names")
    ap.add_argument("--C", type=int, default=16)
    ap.add_argument("--N", type=int, default=5)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    devices = [d for d in devices if d == "cpu" or torch.cuda.is_available()]
    report: dict = {
        "config": {k: getattr(args, k) for k in ("C", "N", "batch", "steps", "repeats", "warmup")},
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "load_avg_before": os.getloadavg(),
        "results": [],
    }
    methods = [m for m in args.methods.split(",") if m]
    for dev_name in devices:
        device = torch.device(dev_name)
        cases: list[tuple[str, str, Callable[[], dict | None]]] = [
            ("e2nas", m, lambda m=m, d=device: ours(m, False, args, d)) for m in methods
        ]
        cases.append(("e2nas", f"gdas@{PINNED}", lambda d=device: ours("gdas", True, args, d)))
        cases.append(("e2nas-nchw", f"gdas@{PINNED}", lambda d=device: ours("gdas", True, args, d, nhwc=False)))
        cases.append(("xautodl", "gdas", lambda d=device: xautodl_gdas(False, args, d)))
        cases.append(("xautodl", f"gdas@{PINNED}", lambda d=device: xautodl_gdas(True, args, d)))
        # build everything first, then time round-robin: on a shared machine every case sees the same load
        timers = []
        for impl, name, build in cases:
            steps = build()
            for kind, fn in (steps or {}).items():
                for _ in range(args.warmup):
                    fn()
                timers.append((impl, name, kind, fn, []))
        _sync(device)
        for _ in range(args.repeats):
            for _impl, _name, _kind, fn, runs in timers:
                t = time.perf_counter()
                for _ in range(args.steps):
                    fn()
                _sync(device)
                runs.append((time.perf_counter() - t) / args.steps)
        for impl, name, kind, _fn, runs in timers:
            med = statistics.median(runs)
            report["results"].append(
                {
                    "device": dev_name,
                    "impl": impl,
                    "method": name,
                    "step": kind,
                    "step_s": med,
                    "images_per_s": args.batch / med,
                    "runs_s": runs,
                }
            )
            if not args.json:
                print(f"{dev_name:4s} {impl:10s} {name:10s} {kind:6s} {args.batch / med:8.1f} img/s ({med:.3f} s)")
    by = {(r["device"], r["impl"], r["method"], r["step"]): r["images_per_s"] for r in report["results"]}
    ratios = {}
    for (dev, impl, name, kind), ips in by.items():
        ref = by.get((dev, "xautodl", name, kind))
        if impl.startswith("e2nas") and ref:
            ratios[f"{dev}/{impl}/{name}/{kind}"] = ips / ref
    report["ratio_vs_xautodl"] = ratios
    report["load_avg_after"] = os.getloadavg()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for k, v in ratios.items():
            print(f"e2nas / xautodl {k}: {v:.2f}x")
        if not ratios:
            print("xautodl not installed: no ratio (pip install --no-deps xautodl pyyaml)")


if __name__ == "__main__":
    main()
