"""The τ-vs-budget study report (:mod:`e2nas.experiments.ranking_study`).

python scripts/ranking_report.py runs/ranking docs/results/ranking [--bn runs/ranking-bn] [--commit SHA]
"""

from pathlib import Path

from e2nas.experiments.ranking_study import main

if __name__ == "__main__":
    main(step_cost=Path(__file__).resolve().parent.parent / "benchmarks" / "results" / "study_step_cost.json")
