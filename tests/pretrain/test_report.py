"""The recipe study's report: rows, means over samples and τ − params τ from hand-made ranking records; the
command line regenerates the committed report from the committed records."""

from pathlib import Path

import pytest

from e2nas.pretrain.report import main, markdown, plot, recipe_label, summarise

COMMITTED = Path(__file__).parents[2] / "docs" / "results" / "pretrain"


def _rec(sup, seed, tau, ptau, bn="batch", run="random-candidates=0-sampler=iso_cpu_s0", epoch=16):
    return {
        "supernet": sup,
        "run": run,
        "epoch": epoch,
        "average": [],
        "steps": epoch * 391,
        "sample_seed": seed,
        "bn": bn,
        "kendall_tau": tau,
        "spearman": tau + 0.1,
        "top10_precision": 0.2,
        "params_tau": ptau,
        "mean_inherited_acc": 50.0,
    }


def test_summarise_means_over_samples_and_renders(tmp_path):
    recs = [_rec("a@64", s, t, p, epoch=64) for s, t, p in [(0, 0.5, 0.6), (1, 0.4, 0.5), (2, 0.3, 0.55)]]
    recs.append(_rec("a@16", 0, 0.2, 0.6))
    rows = summarise(recs)
    multi = next(r for r in rows if len(r["samples"]) == 3)
    assert multi["kendall_tau"] == pytest.approx(0.4) and multi["params_tau"] == pytest.approx(0.55)
    assert multi["tau_minus_params_tau"] == pytest.approx(-0.15) and multi["kendall_tau_per_sample"] == [0.5, 0.4, 0.3]
    text = "\n".join(markdown(rows))
    assert "| iso sampling, seed 0 | 25,024 | batch | +0.400 (+0.500, +0.400, +0.300) | +0.550 | -0.150 |" in text
    assert "| iso sampling, seed 0 | 16 | 6,256 | batch | +0.200 | +0.600 | -0.400 |" in text
    assert "| iso sampling, seed 0 | 64 | 25,024 | batch | +0.500 | +0.600 | -0.100 |" in text  # sample 0 of a@64
    assert len(rows) == 3
    assert plot(rows, tmp_path / "f.png").stat().st_size > 0
    assert recipe_label("random-candidates=0-fair=true_cpu_x_s3") == "strictly fair, seed 3"
    assert recipe_label("random-candidates=0_cpu_x_s1") == "uniform, seed 1"


def test_the_command_regenerates_the_committed_report_from_the_committed_records(tmp_path, capsys):
    note = (COMMITTED / "tables.md").read_text().splitlines()[2]  # the --note it was written with
    main([str(COMMITTED / "rankings.jsonl"), "--out", str(tmp_path / "out"), "--note", note])
    for name in ("summary.json", "tables.md"):
        assert (tmp_path / "out" / name).read_bytes() == (COMMITTED / name).read_bytes(), name
    assert (tmp_path / "out" / "tau_vs_steps.png").stat().st_size > 0
    assert capsys.readouterr().out.startswith("24 rows -> ")
