"""Zero-cost proxies against NB201 ground truth: Kendall τ and Spearman ρ of synflow and NWOT (and the table
yardsticks on the same cells), at NB201's own scale and at the ``cpu`` preset's, with the cost per cell.

    python benchmarks/proxies.py --threads 1 --cells-nb201 140 --cells-cpu 200 --json benchmarks/results/proxies.json

Cells: ``e2nas rank``'s stratified sample (seed 0): connected cells, one per isomorphism class, one per
ground-truth quantile stratum. Images: the first 128 of the search-valid half of ``embedded`` (real CIFAR-10,
lossless 32x32) or ``embedded16`` (16x16), normalised as in a search. Ground truth: NB201 ``cifar10_valid``.
Networks: NB201's discrete network at random initialisation (seed 0), C=16 N=5 or C=8 N=1, 10 classes.
Seconds per cell are wall-clock on this machine (network construction included) and grow with its load;
the 1-minute load average is recorded beside them. Nothing here is asserted by a test.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

#: published Spearman ρ / Kendall τ on NB201 CIFAR-10 (different cell samples: see docs/ranking.md)
PUBLISHED = {
    "synflow": {
        "spearman": 0.73,
        "source": "NAS-Bench-Suite-Zero (Krishnakumar et al., NeurIPS 2022 D&B), 1,000 random cells (the proxy: "
        "Tanaka et al., NeurIPS 2020; as an architecture score: Abdelfattah et al., ICLR 2021)",
    },
    "nwot": {
        "spearman": 0.77,
        "source": "NAS-Bench-Suite-Zero (Krishnakumar et al., NeurIPS 2022 D&B), 1,000 random cells (Mellor et al., "
        "ICML 2021, the proxy's paper)",
    },
    "params": {"spearman": 0.72, "source": "NAS-Bench-Suite-Zero"},
    "flops": {"spearman": 0.69, "source": "NAS-Bench-Suite-Zero"},
}

SCALES = {
    "nb201": {"C": 16, "N": 5, "dataset": "embedded", "size": 32},
    "cpu": {"C": 8, "N": 1, "dataset": "embedded16", "size": 16},
}


def run_scale(name: str, cells_k: int, seed: int, batch: int) -> dict:
    import numpy as np
    from scipy.stats import kendalltau, spearmanr

    from e2nas.data import DeviceLoader, search_split
    from e2nas.ranking import sample_cells
    from e2nas.ranking.proxies import finite, proxy_scores
    from e2nas.spaces import get_space
    from e2nas.spaces.nb201 import GroundTruth

    sc = SCALES[name]
    space = get_space("nb201")
    cells = sample_cells(cells_k, seed)
    gt_table = GroundTruth()
    gt = np.array([gt_table.value(c, "cifar10_valid") for c in cells])
    _, valid = search_split(sc["dataset"])
    images = next(DeviceLoader(valid, batch).images(batch))[0]
    out: dict = {"scale": name, **sc, "cells": cells_k, "sample_seed": seed, "init_seed": 0, "batch": batch}
    rows = {}
    scores_all = {}
    for col, key in (("params_cifar10_M", "params"), ("flops_cifar10_M", "flops"), ("acc12_cifar10_valid", "acc12")):
        s = np.array([gt_table.value(c, col) for c in cells])
        scores_all[key] = s.tolist()
        rows[key] = {"seconds_per_cell": 0.0}
    for proxy in ("synflow", "nwot"):
        load0 = os.getloadavg()[0]
        s, per = proxy_scores(proxy, cells, lambda a: space.network(a, sc["C"], sc["N"], 10), images, seed=0)
        scores_all[proxy] = finite(s)
        rows[proxy] = {"seconds_per_cell": per, "load_avg_1min": round((load0 + os.getloadavg()[0]) / 2, 2)}
        print(f"  [{name}] {proxy}: {per:.3f} s/cell", flush=True)
    for key, s in scores_all.items():
        a = np.asarray(s, dtype=float)
        rows[key]["kendall_tau"] = float(kendalltau(a, gt).statistic)
        rows[key]["spearman"] = float(spearmanr(a, gt).statistic)
        if key in PUBLISHED:
            rows[key]["published_spearman"] = PUBLISHED[key]["spearman"]
    out["yardsticks"] = rows
    out["per_cell"] = [
        {"index": c.index, "ground_truth": float(g), **{k: float(v[i]) for k, v in scores_all.items()}}
        for i, (c, g) in enumerate(zip(cells, gt, strict=True))
    ]
    add_intervals(out)
    return out


def add_intervals(scale: dict, bootstrap: int = 1000) -> None:
    """95 % percentile bootstrap intervals over the cells of each yardstick's τ, and of τ(yardstick) − τ(params)
    with the same resamples (paired), from the scale's ``per_cell`` scores."""
    import numpy as np

    from e2nas.ranking.core import _interval, _kendall_rows

    cells = scale["per_cell"]
    gt = np.array([c["ground_truth"] for c in cells])
    idx = np.random.default_rng(scale["sample_seed"] + 104729).integers(0, len(cells), (bootstrap, len(cells)))
    draws = {k: _kendall_rows(np.array([c[k] for c in cells])[idx], gt[idx]) for k in scale["yardsticks"]}
    for k, row in scale["yardsticks"].items():
        row["kendall_tau_interval"] = _interval(draws[k])
        if k != "params":
            row["minus_params_tau"] = row["kendall_tau"] - scale["yardsticks"]["params"]["kendall_tau"]
            row["minus_params_tau_interval"] = _interval(draws[k] - draws["params"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cells-nb201", type=int, default=200, help="cells at C=16 N=5 32x32 (0: skip)")
    ap.add_argument("--cells-cpu", type=int, default=200, help="cells at C=8 N=1 16x16 (0: skip)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the stratified cell sample")
    ap.add_argument("--batch", type=int, default=128, help="NWOT batch (Mellor et al.: 128)")
    ap.add_argument("--json", type=Path, default=None, help="write the results here")
    ap.add_argument(
        "--intervals-of", type=Path, default=None, help="only add the bootstrap intervals to this results JSON"
    )
    args = ap.parse_args()

    if args.intervals_of:  # statistics of a finished run, from its per-cell scores (no network is built)
        results = json.loads(args.intervals_of.read_text())
        for scale in results["scales"]:
            add_intervals(scale)
        args.json = args.json or args.intervals_of
    else:
        import torch

        torch.set_num_threads(args.threads)
        t0 = time.time()
        results = {"threads": args.threads, "published": PUBLISHED, "scales": []}
        for name, k in (("cpu", args.cells_cpu), ("nb201", args.cells_nb201)):
            if k:
                print(f"{name}: {k} cells ...", flush=True)
                results["scales"].append(run_scale(name, k, args.seed, args.batch))
        results["wall_s"] = round(time.time() - t0, 1)
    print(
        f"{'scale':<7}{'yardstick':<10}{'tau [95% interval]':<24}{'rho':>7}{'published rho':>15}{'s/cell':>9}"
        "  tau - params tau (paired)"
    )
    for r in results["scales"]:
        for key, v in r["yardsticks"].items():
            pub = v.get("published_spearman")
            pub_s = f"{pub:.2f}" if pub is not None else "-"
            lo, hi = v["kendall_tau_interval"]
            diff = ""
            if "minus_params_tau" in v:
                dlo, dhi = v["minus_params_tau_interval"]
                diff = f"  {v['minus_params_tau']:+.3f} [{dlo:+.3f}, {dhi:+.3f}]"
            tau = f"{v['kendall_tau']:+.3f} [{lo:+.3f}, {hi:+.3f}]"
            print(
                f"{r['scale']:<7}{key:<10}{tau:<24}{v['spearman']:>+7.3f}{pub_s:>15}{v['seconds_per_cell']:>9.3f}{diff}"
            )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
