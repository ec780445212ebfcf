"""Ship a pretrained supernet in the package (issue 22): write src/e2nas/_data/pretrained/supernet.pt and
supernet.json from a study run's snapshot, its record built from the study's rankings of that snapshot.

    python scripts/ship_pretrained.py RUN_DIR --epoch 48 --rankings docs/results/pretrain/rankings.jsonl \
        --sweep sweeps/pretrain/stage1.yaml --commit dc2e81b

The recipe stored in the record is the run's config plus where it came from (sweep file, commit); the ranking is
the study's batch-BN ranking of that snapshot on cell samples 0, 1 and 2 (recomputed if the file lacks one).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from e2nas.engine.init_weights import shipped_path
from e2nas.pretrain.recipe import export_supernet
from e2nas.pretrain.study import read_records


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", type=Path)
    ap.add_argument("--epoch", type=int, required=True)
    ap.add_argument("--rankings", type=Path, required=True)
    ap.add_argument("--bn", default="batch")
    ap.add_argument("--sweep", default="", help="the sweep file the run came from (recorded)")
    ap.add_argument("--commit", default="", help="the commit the run trained at (recorded)")
    ap.add_argument("--out", type=Path, default=None, help="[default: the package's _data/pretrained]")
    a = ap.parse_args()
    label = f"{a.run.name}@{a.epoch}"
    recs = {r["sample_seed"]: r for r in read_records(a.rankings) if r["supernet"] == label and r["bn"] == a.bn}
    rankings = [recs[s] for s in (0, 1, 2)] if all(s in recs for s in (0, 1, 2)) else None
    cfg = json.loads((a.run / "config.json").read_text())
    recipe = {
        "from": {"run": a.run.name, "epoch": a.epoch, "sweep": a.sweep, "trained_at_commit": a.commit},
        "method": cfg["method"],
        "options": cfg["options"],
        "lr": cfg["lr"],
        "lr_min": cfg["lr_min"],
        "train_size": cfg["train_size"],
        "seed": cfg["seed"],
        "reproduce": f"e2nas pretrain --epochs {a.epoch} --threads 1 --seed {cfg['seed']}"
        + (" --sampler fair" if cfg["options"].get("fair") else ""),
    }
    out = a.out or shipped_path().parent
    rec = export_supernet(a.run, a.epoch, recipe, bn=a.bn, rankings=rankings, out_dir=out)
    print(f"{out}: tau {rec['kendall_tau']:+.3f} (params {rec['params_tau']:+.3f}), {rec['bytes'] / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
