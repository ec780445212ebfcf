"""Rank the kept supernets of pretraining runs for the recipe study (:mod:`e2nas.pretrain.study`).

python scripts/pretrain_rank.py runs/pretrain/RUN ... --out docs/results/pretrain/rankings.jsonl \
    [--every 1] [--samples 0,1,2] [--bn batch,recal] [--average 4]
"""

from e2nas.pretrain.study import main

if __name__ == "__main__":
    main()
