"""Adapter for the official benchmark files, for users who have them.

Reads NB201 ``.pth`` files through ``nas-bench-201`` (``nas_201_api.NASBench201API``) or NATS-Bench tss
files through ``nats-bench`` (``nats_bench.create(path, 'tss')``) and answers the same questions as
:class:`e2nas.spaces.nb201.GroundTruth`. Always queries ``hp='200'``: both APIs default to the 12-epoch
schedule, a frequent source of wrong numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from e2nas.spaces.nb201.cell import Cell
from e2nas.spaces.nb201.ground_truth import METRIC_ALIASES, SUMMARY_KEYS

HP = "200"


class _BenchmarkAPI(Protocol):  # the subset of the official API used here
    def get_more_info(self, index: int, dataset: str, iepoch=None, hp: str = "12", is_random: bool = True) -> dict: ...

    def get_cost_info(self, index: int, dataset: str, hp: str = "12") -> dict: ...


#: short metric -> (dataset name in the official API, key in get_more_info / get_cost_info)
_QUERIES: dict[str, tuple[str, str]] = {
    "cifar10_valid": ("cifar10-valid", "valid-accuracy"),
    "cifar10_valid_test": ("cifar10-valid", "test-accuracy"),
    "cifar10_test": ("cifar10", "test-accuracy"),
    "cifar100_test": ("cifar100", "test-accuracy"),
    "imagenet16_test": ("ImageNet16-120", "test-accuracy"),
    "flops_M": ("cifar10", "flops"),
    "params_M": ("cifar10", "params"),
}


class OfficialBenchmark:
    """Ground truth straight from an official NB201 / NATS-tss release.

    ``release`` labels which CIFAR-10 test column the file provides: ``"v1_0"`` (the file the E²NAS
    authors used; fills ``cifar10_test_v10``), ``"v1_1"`` or ``"nats"``.
    """

    def __init__(self, api: _BenchmarkAPI, release: str = "nats") -> None:
        if release not in ("v1_0", "v1_1", "nats"):
            raise ValueError(f"release must be one of v1_0, v1_1, nats; got {release!r}")
        self.api = api
        self.release = release

    @classmethod
    def open(cls, path: str | Path) -> OfficialBenchmark:
        """Open a ``NAS-Bench-201-v1_*.pth`` file or a ``NATS-tss-*`` file/directory.

        The one reader e2nas does not own: ``nas-bench-201`` and ``nats-bench`` unpickle these files with full
        pickle, so open only files downloaded from the official source (the bundled table needs none).
        """
        p = Path(path)
        if not p.exists():
            raise FileNotFoundError(
                f"benchmark file {p} not found; download NAS-Bench-201-v1_0-e61699.pth (nas-bench-201) or "
                "NATS-tss-v1_0-3ffb9-simple/ (nats-bench), or use the bundled table (GroundTruth())"
            )
        name = p.name
        if name.endswith(".pth"):
            try:
                from nas_201_api import NASBench201API
            except ImportError:
                raise ImportError(
                    "reading .pth files needs the nas-bench-201 package: pip install nas-bench-201"
                ) from None
            release = "v1_0" if ("v1_0" in name or "102" in name) else "v1_1"
            return cls(NASBench201API(str(p), verbose=False), release)
        try:
            from nats_bench import create
        except ImportError:
            raise ImportError("reading NATS-tss files needs the nats-bench package: pip install nats-bench") from None
        return cls(create(str(p), "tss", fast_mode=p.is_dir(), verbose=False), "nats")

    def _query(self, index: int, metric: str) -> float:
        short = {v: k for k, v in METRIC_ALIASES.items()}.get(metric, metric)
        if short == f"cifar10_test_{self._release_suffix()}":
            short = "cifar10_test"
        if short not in _QUERIES:
            raise KeyError(f"metric {metric!r} is not available from the official API; known: {', '.join(_QUERIES)}")
        dataset, key = _QUERIES[short]
        if key in ("flops", "params"):
            info: dict[str, Any] = self.api.get_cost_info(index, dataset, hp=HP)
        else:
            info = self.api.get_more_info(index, dataset, hp=HP, is_random=False)
        return float(info[key])

    def _release_suffix(self) -> str:
        return {"v1_0": "v10", "v1_1": "v11", "nats": "nats"}[self.release]

    def value(self, arch: Cell | str | int, metric: str) -> float:
        return self._query(Cell.parse(arch).index, metric)

    def summary(self, arch: Cell | str | int) -> dict[str, float]:
        """Same keys as :meth:`GroundTruth.summary`; the CIFAR-10 test value fills the release's own column."""
        i = Cell.parse(arch).index
        out = {}
        for k in SUMMARY_KEYS:
            if k == "cifar10_test_v10" and self.release != "v1_0":
                out[k] = float("nan")  # only the v1_0 file has this column
            else:
                out[k] = self._query(i, "cifar10_test" if k.startswith("cifar10_test") else k)
        return out
