"""The official-API adapter, driven by an in-memory API answering from the bundled table.

The real packages need multi-GB files we cannot ship; this checks the adapter's mapping of metrics to
API calls (dataset names, keys, hp='200', is_random=False) against values we know.
"""

import pytest

from e2nas.spaces.nb201 import OfficialBenchmark


class TableBackedAPI:
    def __init__(self, gt):
        self.gt = gt
        self.calls = []

    def get_more_info(self, index, dataset, iepoch=None, hp="12", is_random=True):
        self.calls.append((dataset, hp, is_random))
        assert hp == "200" and is_random is False
        t = self.gt.table.columns
        if dataset == "cifar10-valid":
            return {
                "valid-accuracy": t["cifar10_valid_acc"][index],
                "test-accuracy": t["cifar10_valid_test_acc"][index],
            }
        col = {
            "cifar10": "cifar10_test_acc_v10",
            "cifar100": "cifar100_test_acc",
            "ImageNet16-120": "imagenet16_test_acc",
        }
        return {"test-accuracy": t[col[dataset]][index]}

    def get_cost_info(self, index, dataset, hp="12"):
        assert hp == "200"
        return {
            "flops": self.gt.table.columns["flops_cifar10_M"][index],
            "params": self.gt.table.columns["params_cifar10_M"][index],
        }


def test_summary_matches_bundled_table(gt):
    api = TableBackedAPI(gt)
    ob = OfficialBenchmark(api, release="v1_0")
    for i in (0, 2581, 6111, 1835):
        assert ob.summary(i) == pytest.approx(gt.summary(i))
    assert ob.value(2581, "cifar10_test_acc_v10") == pytest.approx(gt.value(2581, "cifar10_test_v10"))
    assert all(hp == "200" for _, hp, _ in api.calls)


def test_non_v10_release_leaves_v10_column_empty(gt):
    s = OfficialBenchmark(TableBackedAPI(gt), release="nats").summary(5)
    assert s["cifar10_test_v10"] != s["cifar10_test_v10"]  # NaN


def test_missing_file_and_bad_release(tmp_path, gt):
    with pytest.raises(FileNotFoundError, match="bundled table"):
        OfficialBenchmark.open(tmp_path / "NAS-Bench-201-v1_0-e61699.pth")
    with pytest.raises(ValueError, match="release"):
        OfficialBenchmark(TableBackedAPI(gt), release="v2")
    with pytest.raises(KeyError, match="not available"):
        OfficialBenchmark(TableBackedAPI(gt)).value(0, "acc12_cifar10_valid")
