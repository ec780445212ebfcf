"""Build src/e2nas/_data/cifar10_jpeg16.npz, the 16x16 CIFAR-10 sample the ``cpu`` preset searches on
(:mod:`e2nas.data.embedded16`).

python scripts/make_embedded16.py ../shared/data/cifar10_jpeg_60k.zip [--out FILE]
"""

from pathlib import Path

from e2nas.data.embedded16 import main

if __name__ == "__main__":
    main(default_out=Path(__file__).resolve().parents[1] / "src" / "e2nas" / "_data" / "cifar10_jpeg16.npz")
