"""e2nas.experiments.publish (scripts/publish_runs.py is its command line): the records of finished runs are
copied byte for byte, checkpoints and snapshots are not, sweep summaries are."""

import filecmp
from pathlib import Path

from e2nas.experiments.publish import RECORDS, main, publish

TABLE1 = Path(__file__).parents[2] / "results" / "cpu" / "runs" / "table1"


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_publishing_the_committed_records_copies_them_byte_for_byte(tmp_path, capsys):
    main([str(TABLE1), str(tmp_path / "pub")])
    runs = len(list(TABLE1.rglob("results.json")))
    assert capsys.readouterr().out == f"{runs} finished runs copied to {tmp_path / 'pub'}\n"
    published = _files(tmp_path / "pub")
    assert published == _files(TABLE1)  # the committed tree holds records only: all of it comes across
    assert any(Path(f).name.startswith("sweep_summary_") for f in published)
    _, mismatch, errors = filecmp.cmpfiles(TABLE1, tmp_path / "pub", published, shallow=False)
    assert mismatch == errors == []


def test_checkpoints_snapshots_and_unfinished_runs_stay_behind(tmp_path):
    src = tmp_path / "runs"
    done, running = src / "exp" / "a_s0", src / "exp" / "b_s0"
    (done / "snapshots").mkdir(parents=True)
    running.mkdir()
    for name in ("config.json", "log.jsonl", "results.json", "checkpoint.pt", "snapshots/epoch_1.pt"):
        (done / name).write_text(name)
    (running / "checkpoint.pt").write_text("x")
    (running / "config.json").write_text("{}")
    assert publish(src, tmp_path / "dst") == 1
    assert _files(tmp_path / "dst") == ["exp/a_s0/config.json", "exp/a_s0/log.jsonl", "exp/a_s0/results.json"]
    assert {"checkpoint.pt", "snapshots"}.isdisjoint(RECORDS)
