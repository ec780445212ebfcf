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
    assert set(info) == {"index", "arch", "ops", "iso_key", "params_M", "ground_truth", "cost"}
    assert info["arch"] == SEED0 and info["index"] == 2581
    assert info["params_M"] == pytest.approx(1.073466, abs=1e-6)
    # the table's params/FLOPs (what budgets compare) and the FlopCounterMode count of the C=16, N=5 network
    cost = info["cost"]
    assert (cost["params_M"], cost["flops_M"]) == (1.073466, 155.584192)
    assert cost["counted"] == {"params": 1_073_466, "flops": 306_545_920, "macs": 153_272_960}
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


DARTS_V2 = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], "
    "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"
)


def test_arch_darts_json_has_genotype_op_counts_and_eval_params():
    res = runner.invoke(app, ["arch", "--space", "darts", DARTS_V2, "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert info["genotype"] == DARTS_V2
    assert info["op_counts"]["normal"] == {"dil_conv_3x3": 1, "sep_conv_3x3": 5, "skip_connect": 2}
    assert (info["params_without_aux"], info["params"]) == (3349342, 3825768)  # DARTS: 3.349342 M
    assert info["eval_network"]["cells"] == 20
    # without the auxiliary head, counted by FlopCounterMode: 528.36 M multiply-adds
    assert info["cost"]["counted"] == {"params": 3349342, "flops": 1_056_718_080, "macs": 528_359_040}
    assert (info["cost"]["params_M"], info["cost"]["flops_M"]) == (3.349342, 528.35904)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--space", "darts", DARTS_V2.replace("'dil_conv_3x3', 2", "'conv', 2")], "unknown op 'conv' in normal[7]"),
        (
            ["--space", "darts", DARTS_V2.replace("('skip_connect', 0), ('dil_conv_3x3', 2)", "('dil_conv_3x3', 2)")],
            "normal has 7 (op, input) pairs",
        ),
        (["--space", "darts", DARTS_V2.replace("'dil_conv_3x3', 2", "'dil_conv_3x3', 9")], "input 9 out of range"),
        (["--space", "darts", SEED0], "is an NB201 cell, not a DARTS genotype; use --space nb201"),
        ([DARTS_V2], "that is a DARTS genotype, not an NB201 cell; use --space darts"),
        (["--space", "nasnet", "x"], "unknown search space 'nasnet'"),
    ],
)
def test_bad_genotypes_are_one_line_and_exit_2(args, message):
    res = runner.invoke(app, ["arch", *args])
    assert res.exit_code == 2
    assert message in res.output and len(res.output.strip().splitlines()) == 1
