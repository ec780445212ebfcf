import json

import matplotlib.image as mpimg
import numpy as np
import pytest

from e2nas.experiments.plots import make_plots


def write_logged_run(root, name, gt, method, seed, epsilon, epochs=6):
    """results.json + a log.jsonl with the fields the engine and the monitors write."""
    d = root / name
    d.mkdir(parents=True)
    rng = np.random.default_rng(seed + 10 * int(epsilon * 10))
    cells = rng.choice(15625, size=epochs, replace=False)
    lines = []
    for e, c in enumerate(cells, start=1):
        rec = {"epoch": e, "cell_index": int(c), "ground_truth": gt.summary(int(c)), "train_loss": 2.0 / e}
        rec["kendall_tau"] = float(np.tanh(e / 3 + rng.normal(0, 0.1)))
        rec["kendall_n"] = 20
        tracked = [int(x) for x in cells[: min(e, 3)]]
        acc = [60.0 - (e - 1 - i) * (4.0 - 6 * epsilon) + rng.normal(0, 1) for i in range(len(tracked))]
        rec.update({"forget_cells": tracked, "forget_acc": acc, "forget_mean_acc": float(np.mean(acc))})
        lines.append(json.dumps(rec))
    (d / "log.jsonl").write_text("\n".join(lines) + "\n")
    final = int(cells[-1])
    res = {
        "method": method,
        "seed": seed,
        "epsilon": epsilon,
        "final": {"index": final, "ground_truth": gt.summary(final)},
        "best": None,
        "config": {"preset": "smoke", "dataset": "embedded", "epochs": epochs},
        "searcher_options": {},
    }
    (d / "results.json").write_text(json.dumps(res))


def assert_real_png(path):
    assert path.is_file() and path.stat().st_size > 10_000
    img = mpimg.imread(path)
    assert img.ndim == 3 and img.shape[0] > 300 and img.shape[1] > 500
    assert float(img[..., :3].std()) > 0.05  # not blank
    assert len(np.unique(img[..., :3].reshape(-1, 3), axis=0)) > 20  # lines, bands, text


@pytest.mark.slow
def test_plots_from_logs(tmp_path, gt):
    runs = tmp_path / "runs"
    for seed in range(3):
        write_logged_run(runs, f"random_e0_s{seed}", gt, "random", seed, 0.0)
        write_logged_run(runs, f"random_e5_s{seed}", gt, "random", seed, 0.5)
    write_logged_run(runs, "gdas_s0", gt, "gdas", 0, 0.0, epochs=4)  # shorter run, one seed
    written = make_plots([runs], tmp_path / "figs", latent_map=False)
    names = sorted(p.name for p in written)
    assert names == ["forgetting.png", "kendall_tau.png", "search_curve.png"]
    for p in written:
        assert_real_png(p)


def test_no_monitor_data_means_no_monitor_plots(tmp_path, gt):
    write_logged_run(tmp_path / "runs", "gdas_s0", gt, "gdas", 0, 0.0)
    for f in (tmp_path / "runs").rglob("log.jsonl"):
        recs = [json.loads(x) for x in f.read_text().splitlines()]
        f.write_text(
            "".join(json.dumps({k: r[k] for k in ("epoch", "cell_index", "ground_truth")}) + "\n" for r in recs)
        )
    written = make_plots([tmp_path / "runs"], tmp_path / "figs", latent_map=False)
    assert [p.name for p in written] == ["search_curve.png"]


def test_the_search_curve_asks_the_runs_space_for_its_optimum(tmp_path):
    """The optimum line comes from the one space the runs searched (runs naming none are the legacy space)."""
    from e2nas.experiments.plots import _one_space
    from e2nas.experiments.report import Group, Run

    def group(*spaces):
        return Group(("m",), [Run(tmp_path, {"space": s} if s else {}) for s in spaces])

    space = _one_space([group(None, "nb201")])
    assert space.name == "nb201" and space.title == "NB201" and space.has_ground_truth
    assert space.ground_truth().best("cifar10_valid")[0].index == 6111
    assert _one_space([group("darts")]).title == "DARTS" and not _one_space([group("darts")]).has_ground_truth
    assert _one_space([group("nb201"), group("darts")]) is None
    assert _one_space([group("no-such-space")]) is None
