"""The ceiling of the CPU ranking proxy (issue 22, docs/results/pretrain/ceiling.md): train K cells standalone at
the ``cpu`` preset's scale and rank them by the valid accuracy they reach, beside the parameter count.

    python scripts/pretrain_ceiling.py --sample-seed 0 --cells 50 --epochs 1 --threads 1 \
        --out docs/results/pretrain/ceiling.jsonl --summary docs/results/pretrain/ceiling.json

The cells are every second cell of ``e2nas rank``'s stratified sample of 2K cells (seed ``--sample-seed``), so
they span its accuracy strata; they are trained in a seeded shuffled order, so a run stopped part-way still spans
them. One JSON line per trained cell is appended to ``--out``; a rerun skips the cells it holds.
``--summary-only`` summarises the cells already in ``--out`` without training any.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from e2nas.pretrain.ceiling import CeilingSetup, run_cells, summarise
from e2nas.pretrain.study import write_json
from e2nas.ranking import sample_cells


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sample-seed", type=int, default=0)
    ap.add_argument("--cells", type=int, default=50)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--train-size", type=int, default=25_000)
    ap.add_argument("--seed", type=int, default=0, help="initialisation and data-order seed of every cell")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True, help="JSONL, one line per trained cell")
    ap.add_argument("--summary", type=Path, default=None, help="summary JSON (default: --out with .json)")
    ap.add_argument("--summary-only", action="store_true", help="summarise the cells in --out, train none")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cells = sample_cells(2 * a.cells, a.sample_seed)[::2]
    order = np.random.default_rng(a.sample_seed).permutation(len(cells))
    setup = CeilingSetup(epochs=a.epochs, train_size=a.train_size, seed=a.seed)
    if a.summary_only:
        from e2nas.pretrain.study import read_records

        have = {r["index"]: r for r in read_records(a.out) if r.get("setup") == setup.key()}
        records = [have[c.index] for c in cells if c.index in have]
    else:
        done = {r["index"]: r for r in run_cells([cells[i] for i in order], setup, a.out)}
        records = [done[c.index] for c in cells if c.index in done]  # strata order, as --summary-only reads them
    summary = summarise(records, a.sample_seed)
    summary["cells_planned"] = len(cells)
    summary["command"] = (
        f"python scripts/pretrain_ceiling.py --sample-seed {a.sample_seed} --cells {a.cells} --epochs {a.epochs} "
        f"--train-size {a.train_size} --seed {a.seed} --threads {a.threads} --out {a.out}"
    )
    write_json(a.summary or a.out.with_suffix(".json"), summary)
    iv = summary["intervals"]["kendall_tau"]
    vp = summary["vs_params"]
    print(
        json.dumps(
            {
                "cells": summary["cells"],
                "epochs": summary["epochs"],
                "kendall_tau": round(summary["kendall_tau"], 3),
                "tau_interval": [round(v, 3) for v in iv],
                "spearman": round(summary["spearman"], 3),
                "params_tau": round(summary["params_tau"], 3),
                "acc12_tau": round(summary["yardsticks"]["acc12"]["kendall_tau"], 3),
                "tau_minus_params": [round(vp["difference"], 3), [round(v, 3) for v in vp["interval"]]],
                "mean_valid_acc": round(summary["mean_valid_acc"], 2),
                "seconds_per_cell": round(summary["seconds_per_cell"], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
