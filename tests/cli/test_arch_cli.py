import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from e2nas.cli.main import app

runner = CliRunner()
SEED0 = "|nor_conv_3x3~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"


def test_arch_json_contract():
    res = runner.invoke(app, ["arch", "2581", "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert set(info) == {"index", "arch", "ops", "iso_key", "params_M", "ground_truth"}
    assert info["arch"] == SEED0 and info["index"] == 2581
    assert info["params_M"] == pytest.approx(1.073466, abs=1e-6)
    g = info["ground_truth"]
    assert set(g) == {
        "cifar10_valid",
        "cifar10_test",
        "cifar10_test_v10",
        "cifar100_test",
        "imagenet16_test",
        "flops_M",
    }
    assert g["cifar10_test_v10"] == pytest.approx(94.219, abs=1.5e-3)
    assert g["cifar100_test"] == pytest.approx(73.166, abs=1e-3)


def test_arch_by_string_equals_by_index():
    a = json.loads(runner.invoke(app, ["arch", SEED0, "--json"]).stdout)
    b = json.loads(runner.invoke(app, ["arch", "2581", "--json"]).stdout)
    assert a == b


def test_human_output_mentions_cell():
    res = runner.invoke(app, ["arch", "6111"])
    assert res.exit_code == 0 and "6111" in res.stdout


def test_space_stats():
    res = runner.invoke(app, ["space", "stats", "--json"])
    s = json.loads(res.stdout)
    assert s["cells"] == 15625 and s["iso_classes"] == 6466
    assert s["best"]["cifar10_valid"]["index"] == 6111


@pytest.mark.parametrize(
    ("arg", "fragment"),
    [
        (SEED0.replace("skip_connect", "max_pool_3x3"), "unknown op 'max_pool_3x3'"),
        ("|nor_conv_3x3~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|", "node 3 needs 3"),
        ("20000", "out of range"),
    ],
)
def test_bad_input_exit_2_one_line(arg, fragment):
    res = runner.invoke(app, ["arch", arg, "--json"])
    assert res.exit_code == 2
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in res.stderr


def test_console_script_subprocess():
    out = subprocess.run(
        [sys.executable, "-m", "e2nas.cli.main", "arch", "0", "--json"], capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout)["ops"][0] == "avg_pool_3x3"
