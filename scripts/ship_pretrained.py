"""Ship a pretrained supernet in the package (:mod:`e2nas.pretrain.recipe`): src/e2nas/_data/pretrained/supernet.pt
and supernet.json from a study run's snapshot, its record built from the study's rankings of that snapshot.

python scripts/ship_pretrained.py RUN_DIR --epoch 48 --rankings docs/results/pretrain/rankings.jsonl \
    --sweep sweeps/pretrain/stage1.yaml --commit dc2e81b
"""

from e2nas.pretrain.recipe import main

if __name__ == "__main__":
    main()
