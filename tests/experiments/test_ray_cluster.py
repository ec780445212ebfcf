"""`--address`: a sweep joins an existing 2-node Ray cluster on loopback, ships this e2nas to it, and its runs
land on both nodes (node ids recorded in the summary) with their results gathered in one out dir."""

import json

import pytest
import yaml

from e2nas.experiments.sweep import SweepError, load_sweep, run_sweep

ray = pytest.importorskip("ray")


@pytest.fixture
def two_node_cluster():
    from ray.cluster_utils import Cluster

    # one CPU per node and one CPU per run: two concurrent runs must use both nodes; workers at normal priority
    head = {"num_cpus": 1, "_system_config": {"worker_niceness": 0}}
    cluster = Cluster(initialize_head=True, head_node_args=head)
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    try:
        yield cluster
    finally:
        if ray.is_initialized():
            ray.shutdown()
        cluster.shutdown()


@pytest.mark.slow
def test_sweep_on_a_two_node_cluster_uses_both_nodes(tmp_path, two_node_cluster, gt):
    f = tmp_path / "s.yaml"
    # the cheapest runs: one step, RandomNAS's answer from 2 candidates (not 100), no final ranking check
    fast = {"epochs": 1, "steps_per_epoch": 1, "rank_cells": 0}
    sweep = {"name": "c", "method": "random", "seed": [0, 1], "preset": "smoke", "overrides": fast}
    f.write_text(yaml.safe_dump({**sweep, "options": {"random": {"candidates": 2}}}))
    nodes = {n.node_id for n in two_node_cluster.list_all_nodes()}
    assert len(nodes) == 2
    summary = run_sweep(load_sweep(f), tmp_path / "out", engine="ray", address=two_node_cluster.address, threads=1)
    assert summary["counts"] == {"finished": 2}, summary
    assert summary["address"] == two_node_cluster.address
    assert {e["placement"]["ray_node_id"] for e in summary["runs"]} == nodes
    for e in summary["runs"]:
        res = json.loads((tmp_path / "out" / e["name"] / "results.json").read_text())
        assert e["final_cifar10_valid"] == gt.value(res["final"]["index"], "cifar10_valid")
        on_disk = json.loads((tmp_path / "out" / e["name"] / "sweep_placement.json").read_text())
        assert on_disk["ray_node_id"] == e["placement"]["ray_node_id"]
        assert "runtime_resources" in e["placement"]["code"]  # the driver's e2nas, shipped, not the node's own
    assert not ray.is_initialized()  # the sweep disconnects; the cluster stays up for its owner


def test_unreachable_cluster_is_one_clear_error(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionError("Could not find any running Ray instance.\nmore lines")

    monkeypatch.setattr(ray, "init", refuse)
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump({"method": "random", "preset": "smoke"}))
    with pytest.raises(SweepError, match=r"^could not connect to the Ray cluster at 10\.0\.0\.9:6379: Could not find"):
        run_sweep(load_sweep(f), tmp_path / "out", engine="ray", address="10.0.0.9:6379", threads=1)
