"""The budget study's report (:mod:`e2nas.experiments.budget_study`).

python scripts/budget_report.py results/cpu-pretrained/runs/budget --out docs/results/budget
"""

from e2nas.experiments.budget_study import main

if __name__ == "__main__":
    main()
