"""The Table 1 blocks of README.md and docs/results/<preset>/analysis.md (:mod:`e2nas.experiments.paper.readme_blocks`).

python scripts/readme_tables.py [--check]
"""

from pathlib import Path

from e2nas.experiments.paper.readme_blocks import main

if __name__ == "__main__":
    main(root=Path(__file__).resolve().parents[1])
