"""e2nas: differentiable neural architecture search on NAS-Bench-201.

The public API is re-exported lazily by the sub-packages; importing ``e2nas`` does no work.
"""

__version__ = "0.1.0"
