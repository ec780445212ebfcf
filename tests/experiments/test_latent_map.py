import json

import numpy as np
import pytest
import torch

from e2nas.experiments import latent_map
from e2nas.experiments.latent_map import pca_2d, plot_latent_map, trajectory
from e2nas.experiments.report import find_runs, group_runs
from e2nas.spaces.nb201 import NUM_OPS

from .test_plots import assert_real_png, write_logged_run


class LinearEncoder:
    """Stands in for the D-VAE: mean = one-hot(ops) @ W (injective enough to spread the cells)."""

    def __init__(self, nz=6):
        self.W = torch.randn(6 * NUM_OPS, nz, generator=torch.Generator().manual_seed(0))

    def encode_cells(self, ops):
        x = torch.nn.functional.one_hot(torch.as_tensor(ops, dtype=torch.long), NUM_OPS).reshape(len(ops), -1)
        mu = x.float() @ self.W
        return mu, torch.zeros_like(mu)


def test_pca_2d_finds_the_main_axes():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 4)) * np.array([10.0, 3.0, 0.1, 0.1])
    _, comps, ratio = pca_2d(x)
    assert abs(comps[0, 0]) > 0.99 and abs(comps[1, 1]) > 0.99
    assert ratio[0] > ratio[1] > 0 and ratio.sum() <= 1


def test_latent_map_with_z_and_archive(tmp_path, gt):
    runs = tmp_path / "runs"
    write_logged_run(runs, "e2nas_s0", gt, "e2nas", 0, 0.5)
    write_logged_run(runs, "gdas_s0", gt, "gdas", 0, 0.0)
    log = runs / "e2nas_s0" / "log.jsonl"
    recs = [json.loads(x) for x in log.read_text().splitlines()]
    for i, r in enumerate(recs):
        r["z"] = [0.1 * i] * 6
        r["archive"] = [r["cell_index"], gt.table.arch_str[5]]
    log.write_text("".join(json.dumps(r) + "\n" for r in recs))
    found, _ = find_runs([runs])
    groups = group_runs(found)
    e2 = next(run for g in groups for run in g.runs if run.method == "e2nas")
    pts, kind, archive = trajectory(e2, np.zeros((15625, 6)))
    assert kind == "z" and pts.shape == (6, 6) and archive == [recs[-1]["cell_index"], 5]
    gd = next(run for g in groups for run in g.runs if run.method == "gdas")
    assert trajectory(gd, np.zeros((15625, 6)))[1] == "cell"
    out = plot_latent_map(groups, tmp_path / "latent_map.png", model=LinearEncoder())
    assert_real_png(out)


def test_latent_map_skipped_without_dvae(tmp_path, gt, monkeypatch, capsys):
    write_logged_run(tmp_path / "runs", "gdas_s0", gt, "gdas", 0, 0.0)

    def unavailable():
        raise latent_map.LatentMapUnavailableError("the D-VAE module e2nas.vae is not available")

    monkeypatch.setattr(latent_map, "load_model", unavailable)
    found, _ = find_runs([tmp_path / "runs"])
    assert plot_latent_map(group_runs(found), tmp_path / "m.png") is None
    assert "latent map skipped" in capsys.readouterr().err


def test_latent_map_with_the_real_dvae_module(tmp_path, gt):
    vae = pytest.importorskip("e2nas.vae")
    write_logged_run(tmp_path / "runs", "gdas_s0", gt, "gdas", 0, 0.0)
    torch.manual_seed(0)
    model = vae.DVAE(vae.DVAEConfig(hidden=16, nz=4)).eval()
    found, _ = find_runs([tmp_path / "runs"])
    assert_real_png(plot_latent_map(group_runs(found), tmp_path / "m.png", model=model))


def test_latent_map_legend_has_one_entry_per_setting(tmp_path, gt):
    """Three seeds of two settings, each with z and an archive: two legend entries (not 12), seeds as markers,
    the optimum and the largest cell in the symbol legend."""
    runs = tmp_path / "runs"
    for eps in (0.0, 0.5):
        for seed in range(3):
            name = f"e2nas_eps{eps}_s{seed}"
            write_logged_run(runs, name, gt, "e2nas", seed, eps)
            log = runs / name / "log.jsonl"
            recs = [json.loads(x) for x in log.read_text().splitlines()]
            for i, r in enumerate(recs):
                r["z"] = [0.1 * i + seed] * 6
                r["archive"] = [r["cell_index"], 5]
            log.write_text("".join(json.dumps(r) + "\n" for r in recs))
    found, _ = find_runs([runs])
    groups = group_runs(found)
    assert len(groups) == 2
    fig = latent_map.draw_latent_map(groups, LinearEncoder())
    ax = fig.axes[0]
    settings = [t.get_text() for t in ax.get_legend().get_texts()]
    assert settings == [f"{g.label} (n=3)" for g in groups]
    legends = [a for a in ax.get_children() if isinstance(a, type(ax.get_legend()))]
    symbols = [t.get_text() for leg in legends if leg is not ax.get_legend() for t in leg.get_texts()]
    best = int(np.argmax(gt.table.column("cifar10_valid")))
    assert f"NB201 optimum (#{best})" in symbols and "largest cell (#1462)" in symbols
    assert [s for s in symbols if s.startswith("seed")] == ["seed 0", "seed 1", "seed 2"]
    import matplotlib.pyplot as plt

    plt.close(fig)
