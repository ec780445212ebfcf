"""Copy the records of finished runs into the committed results tree (:mod:`e2nas.experiments.publish`).

python scripts/publish_runs.py runs/ranking results/ranking/runs
"""

from e2nas.experiments.publish import main

if __name__ == "__main__":
    main()
