import numpy as np
import pytest

from e2nas.spaces import ArchParseError
from e2nas.spaces.nb201 import OPS, Cell, all_cells
from e2nas.spaces.nb201.cell import all_cells_product

SEED0 = "|nor_conv_3x3~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"


def test_roundtrip_all_strings_and_indices(gt):
    cells = list(all_cells())
    assert len(cells) == 15625
    for i, cell in enumerate(cells):
        s = gt.table.arch_str[i]
        assert cell.to_string() == s
        assert Cell.from_string(s) == cell
        assert cell.index == i
        assert Cell.from_index(i) == cell
        assert Cell.from_code(cell.code) == cell
    assert {c.code for c in cells} == set(range(15625))


def test_product_enumeration_is_same_set():
    assert sorted(all_cells_product()) == sorted(all_cells())


def test_known_cells():
    assert Cell.from_index(0).ops == (4, 2, 1, 2, 1, 1)  # docs/reference/nb201.md: index 0 is [4,2,1,2,1,1]
    c = Cell.from_string(SEED0)
    assert c.index == 2581
    assert c.op_names == (
        "nor_conv_3x3",
        "nor_conv_1x1",
        "nor_conv_3x3",
        "skip_connect",
        "nor_conv_3x3",
        "nor_conv_3x3",
    )
    assert Cell.from_ops(["skip_connect"] * 6).index == 1835  # the DARTS collapse cell


@pytest.mark.parametrize(
    "value",
    [
        2581,
        "2581",
        SEED0,
        "3,2,3,1,3,3",
        "[3, 2, 3, 1, 3, 3]",
        (3, 2, 3, 1, 3, 3),
        list(
            c for c in ("nor_conv_3x3", "nor_conv_1x1", "nor_conv_3x3", "skip_connect", "nor_conv_3x3", "nor_conv_3x3")
        ),
    ],
)
def test_parse_accepts_every_form(value):
    assert Cell.parse(value).index == 2581


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (SEED0.replace("nor_conv_1x1", "conv_5x5"), "unknown op 'conv_5x5'"),
        ("|nor_conv_3x3~0|+|nor_conv_1x1~0|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|", "node 2 needs 2"),
        ("|nor_conv_3x3~0|+|nor_conv_1x1~0|nor_conv_3x3~1|", "expected 3 '+'-separated"),
        (SEED0.replace("nor_conv_1x1~0", "nor_conv_1x1~1"), "must read from node 0"),
        (SEED0.replace("nor_conv_1x1~0", "nor_conv_1x1"), "lacks '~input'"),
        ("15625", "out of range"),
        ("-1", "out of range"),
        ("1,2,3", "6 edges"),
        ("1,2,3,4,5,1", "op index 5 out of range"),
        ("hello", "cannot read 'hello'"),
    ],
)
def test_bad_input_names_the_problem(text, fragment):
    with pytest.raises(ArchParseError, match=None) as info:
        Cell.parse(text)
    assert fragment in str(info.value)


def test_ops_order_is_nb201():
    assert OPS == ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")


def test_cell_is_hashable_and_immutable():
    c = Cell((1, 2, 3, 4, 0, 1))
    assert {c: 1}[Cell(np.array([1, 2, 3, 4, 0, 1]))] == 1
    with pytest.raises(AttributeError):
        c.ops = (0,) * 6  # type: ignore[misc]


def test_connected_is_exactly_the_cells_at_chance_level(gt):
    cells = list(all_cells())
    acc = np.array([gt.summary(c)["cifar10_valid"] for c in cells])
    connected = np.array([c.connected for c in cells])
    assert (~connected).sum() == 341
    # every disconnected cell is at chance (the table's 9.712 %), every connected one far above it
    assert np.allclose(acc[~connected], 9.712, atol=1e-3)
    assert acc[connected].min() > 30.0


def test_connected_examples():
    assert Cell.parse("|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|").connected
    # node 1 is cut off, so skip_connect~1 carries zeros into the output
    assert not Cell.parse("|none~0|+|nor_conv_3x3~0|none~1|+|none~0|skip_connect~1|none~2|").connected
    assert Cell.parse("|avg_pool_3x3~0|+|none~0|none~1|+|none~0|skip_connect~1|none~2|").connected
