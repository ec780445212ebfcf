"""The pretraining recipe study's report (:mod:`e2nas.pretrain.report`).

python scripts/pretrain_report.py docs/results/pretrain/rankings.jsonl --out docs/results/pretrain [--note LINE]
"""

from e2nas.pretrain.report import main

if __name__ == "__main__":
    main()
