from collections import defaultdict

from e2nas.spaces.nb201 import Cell, all_cells, iso_key


def test_iso_key_equals_table_string_for_every_cell(gt):
    for i, cell in enumerate(all_cells()):
        assert iso_key(cell) == gt.table.iso_unique_str[i], i


def test_iso_classes_same_grouping_as_table(gt):
    ours: dict[str, set[int]] = defaultdict(set)
    theirs: dict[str, set[int]] = defaultdict(set)
    for i, cell in enumerate(all_cells()):
        ours[iso_key(cell)].add(i)
        theirs[gt.table.iso_unique_str[i]].add(i)
    assert len(ours) == 6466
    assert sorted(map(sorted, ours.values())) == sorted(map(sorted, theirs.values()))


def test_isomorphic_cells_share_key_and_params(gt):
    # swapping the two parallel conv paths into node 2 / node 3 keeps the function
    a = Cell.from_ops(["nor_conv_3x3", "nor_conv_1x1", "skip_connect", "none", "none", "skip_connect"])
    b = Cell.from_ops(["nor_conv_1x1", "nor_conv_3x3", "skip_connect", "none", "none", "skip_connect"])
    assert iso_key(a) == iso_key(b)
    assert iso_key(a) != iso_key(Cell.from_ops(["nor_conv_3x3"] * 6))
