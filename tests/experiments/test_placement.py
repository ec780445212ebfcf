"""GPU placement of sweep runs, with mocked device counts (CI has no GPU): the plan from --gpus /
CUDA_VISIBLE_DEVICES / gpu_per_run, the slot pool, and a local sweep whose runs really get their GPU."""

import json
import re

import pytest
import yaml
from typer.testing import CliRunner

from e2nas.cli.main import app
from e2nas.experiments.placement import GpuPlan, PlacementError, SlotPool, plan_gpus, visible_gpus
from e2nas.experiments.sweep import SweepError, load_sweep, parse_sweep, run_sweep


def _no_torch() -> int:
    raise AssertionError("the device count must not be asked for here")


def test_plan_from_cuda_visible_devices_and_share():
    plan = plan_gpus(None, 0.25, env={"CUDA_VISIBLE_DEVICES": "2,5"}, device_count=_no_torch)
    assert plan.devices == ("2", "5") and plan.slots_per_gpu == 4 and plan.slots == 8 and plan.enabled
    assert plan_gpus(1, None, env={"CUDA_VISIBLE_DEVICES": "2,5"}).devices == ("2",)
    assert plan_gpus(None, 0.1, env={"CUDA_VISIBLE_DEVICES": "0"}).slots_per_gpu == 10  # 1/0.1 < 10 in floats
    assert plan_gpus(None, 0.3, env={"CUDA_VISIBLE_DEVICES": "0"}).slots_per_gpu == 3
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": ""}, _no_torch) == []


def test_plan_from_device_count_and_cpu_sweeps():
    plan = plan_gpus(3, 0.5, env={}, device_count=lambda: 4)
    assert plan.devices == ("0", "1", "2") and plan.slots == 6
    assert plan_gpus(None, None, env={}, device_count=_no_torch) == GpuPlan()  # CPU sweep: torch not asked
    assert not plan_gpus(0, 0.5, env={}, device_count=_no_torch).enabled


@pytest.mark.parametrize(
    ("gpus", "share", "env", "message"),
    [
        (3, None, {"CUDA_VISIBLE_DEVICES": "0,1"}, "asked for 3 GPU(s) but 2 are visible (CUDA_VISIBLE_DEVICES='0,1')"),
        (None, 0.5, {"CUDA_VISIBLE_DEVICES": ""}, "but 0 are visible"),
        (1, None, {}, "but 0 are visible (torch.cuda.device_count())"),
        (None, 0.0, {}, "gpu_per_run must be a share of one GPU in (0, 1], got 0.0"),
        (None, 1.5, {}, "in (0, 1]"),
        (-1, None, {}, "--gpus must be >= 0"),
    ],
)
def test_impossible_plans_are_one_clear_error(gpus, share, env, message):
    with pytest.raises(PlacementError, match=re.escape(message)):
        plan_gpus(gpus, share, env=env, device_count=lambda: 0)


def test_slot_pool_spreads_then_shares_and_refuses_when_full():
    pool = SlotPool(GpuPlan(devices=("0", "1"), per_run=0.5))
    assert [pool.acquire() for _ in range(5)] == ["0", "1", "0", "1", None]
    pool.release("1")
    assert pool.acquire() == "1"
    pool.release("0")
    pool.release("0")
    with pytest.raises(ValueError, match="released more often"):
        pool.release("0")


def test_sweep_file_share_is_validated_and_kept():
    sw = parse_sweep({"method": "gdas", "preset": "smoke", "gpu_per_run": 0.25})
    assert sw.gpu_per_run == 0.25
    assert parse_sweep({"method": "gdas", "preset": "smoke"}).runs[0].name == sw.runs[0].name  # not in names
    with pytest.raises(SweepError, match=re.escape("gpu_per_run must be a share of one GPU in (0, 1]")):
        parse_sweep({"method": "gdas", "gpu_per_run": 2})


def test_local_sweep_runs_see_only_their_mocked_gpu(tmp_path):
    # two mocked GPUs, half a GPU per run: 4 slots; the two runs go to different GPUs and each run process
    # sees exactly its own through CUDA_VISIBLE_DEVICES (searching on the CPU, since CI has no GPU)
    f = tmp_path / "s.yaml"
    fast = {"epochs": 1, "steps_per_epoch": 1}
    f.write_text(yaml.safe_dump({"name": "g", "method": "gdas", "seed": [0, 1], "preset": "smoke", "overrides": fast}))
    plan = GpuPlan(devices=("3", "7"), per_run=0.5, run_device="cpu")
    summary = run_sweep(load_sweep(f), tmp_path / "out", threads=1, gpu_plan=plan)
    assert summary["counts"] == {"finished": 2}, summary
    assert summary["workers"] == 4 and summary["gpus"] == ["3", "7"] and summary["gpu_per_run"] == 0.5
    seen = sorted(e["placement"]["cuda_visible_devices"] for e in summary["runs"])
    assert seen == ["3", "7"]
    for e in summary["runs"]:
        assert e["placement"]["device"] == "cpu"
        assert json.loads((tmp_path / "out" / e["name"] / "results.json").read_text())["device"] == "cpu"


def test_cli_gpu_errors_are_one_line(tmp_path, monkeypatch):
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump({"method": "gdas", "preset": "smoke"}))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    res = CliRunner().invoke(app, ["sweep", str(f), "--out", str(tmp_path / "o"), "--gpus", "4"])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 2, res.output  # banner + the error
    assert "error: asked for 4 GPU(s) but 1 are visible" in res.output
    res = CliRunner().invoke(app, ["sweep", str(f), "--gpu-per-run", "0", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "gpu_per_run must be a share" in res.output
