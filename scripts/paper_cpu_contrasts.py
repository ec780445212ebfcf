"""The contrasts behind the analysis of the paper experiments (:mod:`e2nas.experiments.contrasts`).

python scripts/paper_cpu_contrasts.py results/cpu/runs [--markdown] [--json]
"""

from e2nas.experiments.contrasts import main

if __name__ == "__main__":
    main()
