"""The ceiling of the CPU ranking proxy (:mod:`e2nas.pretrain.ceiling`, docs/results/pretrain/ceiling.md).

python scripts/pretrain_ceiling.py --sample-seed 0 --cells 50 --epochs 1 --threads 1 \
    --out docs/results/pretrain/ceiling.jsonl --summary docs/results/pretrain/ceiling.json [--summary-only]
"""

from e2nas.pretrain.ceiling import main

if __name__ == "__main__":
    main()
