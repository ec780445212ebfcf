"""Rank the kept supernets of pretraining runs for the recipe study (issue 22, docs/results/pretrain).

    python scripts/pretrain_rank.py runs/pretrain/RUN ... --out docs/results/pretrain/rankings.jsonl \
        [--every 1] [--samples 0,1,2] [--bn batch,recal] [--average 4]

Every (supernet, cell sample, BN mode) is one JSON line, appended as soon as it is measured; a rerun skips what
the file holds. ``--average K`` also ranks the average of each run's last K snapshots (checkpoint averaging).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from e2nas.engine.load import kept_epochs
from e2nas.pretrain.study import Candidate, rank_candidates, snapshot_candidates


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--every", type=int, default=1, help="rank every E-th kept snapshot")
    ap.add_argument("--epochs", default="", help="only these kept epochs (comma list)")
    ap.add_argument("--samples", default="0", help="cell-sample seeds (comma list)")
    ap.add_argument("--bn", default="batch,recal", help="BN modes (comma list of batch, running, recal)")
    ap.add_argument("--average", type=int, default=0, help="also rank the average of the last K snapshots")
    ap.add_argument("--images", type=int, default=None)
    ap.add_argument("--calib-images", type=int, default=256)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    wanted = {int(e) for e in a.epochs.split(",") if e}
    cands: list[Candidate] = []
    for run in a.runs:
        cands += [c for c in snapshot_candidates(run, a.every) if not wanted or c.epoch in wanted]
        kept = kept_epochs(run)
        if a.average and len(kept) >= a.average:
            last = tuple(kept[-a.average :])
            cands.append(Candidate(run, last[-1], last))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    rank_candidates(
        cands,
        a.out,
        samples=[int(s) for s in a.samples.split(",")],
        bn_modes=a.bn.split(","),
        images=a.images,
        calib_images=a.calib_images,
    )


if __name__ == "__main__":
    main()
