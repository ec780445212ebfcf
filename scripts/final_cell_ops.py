"""Which operations the final cells of a set of runs use (:mod:`e2nas.experiments.final_cells`).

python scripts/final_cell_ops.py results/cpu/runs/table1 [--markdown]
"""

from e2nas.experiments.final_cells import main

if __name__ == "__main__":
    main()
