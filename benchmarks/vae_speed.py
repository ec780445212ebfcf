"""D-VAE speed: training time to the shipped quality, encode/decode throughput, Jacobian ∂p/∂z cost.

    python benchmarks/vae_speed.py --json [--skip-train] [--threads 1]

Numbers are wall-clock on this machine; the 1-minute load average is printed with them because other
processes sharing the cores inflate everything.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import torch


def _median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--skip-train", action="store_true", help="do not retrain; report the shipped record only")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    from e2nas.vae import load_checkpoint, pretrained_path
    from e2nas.vae.data import all_ops, make_split
    from e2nas.vae.model import DVAEConfig
    from e2nas.vae.train import TrainConfig, recon_accuracy, train_dvae

    model, record = load_checkpoint(pretrained_path())
    ops = all_ops()
    out: dict = {
        "threads": args.threads,
        "cpu_count": os.cpu_count(),
        "load_avg_start": [round(x, 2) for x in os.getloadavg()],
        "nz": model.nz,
        "hidden": model.config.hidden,
        "shipped_train_seconds": record.get("train_seconds"),
        "shipped_load_avg": record.get("load_avg_at_start"),
    }
    with torch.no_grad():
        model.encode_cells(ops[:256])  # warm-up
        t_enc = _median_time(lambda: model.encode_cells(ops), args.runs)
        mu, _ = model.encode_cells(ops)
        t_dec = _median_time(lambda: model.decode_argmax(mu), args.runs)
        t_p = _median_time(lambda: model.edge_probs(mu), args.runs)
    out["encode_all_seconds"] = t_enc
    out["encode_cells_per_s"] = ops.shape[0] / t_enc
    out["decode_argmax_cells_per_s"] = ops.shape[0] / t_dec
    out["edge_probs_cells_per_s"] = ops.shape[0] / t_p
    z = mu[0].clone()
    jr = torch.func.jacrev(model.edge_probs)
    jf = torch.func.jacfwd(model.edge_probs)
    jr(z), jf(z)  # warm-up
    out["jacrev_ms"] = 1e3 * _median_time(lambda: jr(z), 4 * args.runs)
    out["jacfwd_ms"] = 1e3 * _median_time(lambda: jf(z), 4 * args.runs)
    if not args.skip_train:
        tc = record["train_config"]
        cfg = TrainConfig(**{**tc, "model": DVAEConfig(**tc["model"])})
        t0 = time.perf_counter()
        m2, rec2 = train_dvae(cfg)
        out["train_wall_seconds"] = time.perf_counter() - t0
        out["train_epochs_run"] = rec2["epochs_run"]
        test = ops[torch.from_numpy(make_split().test)]
        out["retrained_recon_acc_test"] = recon_accuracy(m2, test)
        out["retrained_recon_acc_all"] = recon_accuracy(m2, ops)
    out["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:28s} {v:.4g}" if isinstance(v, float) else f"{k:28s} {v}")


if __name__ == "__main__":
    main()
