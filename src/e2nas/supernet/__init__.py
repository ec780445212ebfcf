"""The DARTS supernet (moving to e2nas.spaces.darts)."""
