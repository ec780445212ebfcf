"""DARTS network building blocks (moving to e2nas.spaces.darts)."""
