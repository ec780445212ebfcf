"""e2nas.data.embedded16 (scripts/make_embedded16.py is its command line): the shipped sample has the shape its
recipe states, and building from a CIFAR-10 image folder is deterministic and BOX-shrinks 32 -> 16."""

import numpy as np
import pytest
from PIL import Image

from e2nas.data import load_embedded16
from e2nas.data.embedded16 import SIZE, TRAIN, VALID, build_embedded16, main
from e2nas.data.folder import CIFAR10_CLASSES


def test_the_shipped_sample_is_what_the_recipe_builds():
    train, valid = load_embedded16()
    assert train.x.shape == (TRAIN, SIZE, SIZE, 3) and valid.x.shape == (VALID, SIZE, SIZE, 3)
    assert np.bincount(train.y).tolist() == [TRAIN // 10] * 10 and np.bincount(valid.y).tolist() == [VALID // 10] * 10


def _cifar_folder(root, per_class=4):
    """CIFAR-10 class folders of 32x32 PNGs, each a shipped 16x16 image with every pixel doubled."""
    train, _ = load_embedded16()
    small = {}
    for label, name in enumerate(CIFAR10_CLASSES):
        d = root / "train" / name
        d.mkdir(parents=True)
        for rank, i in enumerate(np.flatnonzero(train.y == label)[:per_class]):
            small[(name, rank)] = train.x[i]
            Image.fromarray(train.x[i].repeat(2, 0).repeat(2, 1)).save(d / f"{rank:04d}.png")
    return small


def test_building_is_deterministic_and_shrinks_by_2x2_means(tmp_path):
    small = _cifar_folder(tmp_path / "src")
    s = build_embedded16(tmp_path / "src", tmp_path / "a.npz", train_size=20, valid_size=10)
    build_embedded16(tmp_path / "src", tmp_path / "b.npz", train_size=20, valid_size=10)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    with np.load(tmp_path / "a.npz") as z:
        assert z["x_train"].shape == (20, SIZE, SIZE, 3) and z["x_valid"].shape == (10, SIZE, SIZE, 3)
        assert tuple(z["class_names"]) == CIFAR10_CLASSES
        # even ranks train, odd ranks valid; a doubled image shrinks back to itself
        first = int(np.flatnonzero(z["y_train"] == 0)[0])
        assert np.array_equal(z["x_train"][first], small[("airplane", 0)])
        assert np.array_equal(z["x_valid"][int(np.flatnonzero(z["y_valid"] == 3)[0])], small[("cat", 1)])
    assert s.class_names == CIFAR10_CLASSES


def test_a_folder_without_cifar10_classes_is_refused(tmp_path):
    for name in ("a", "b"):
        (tmp_path / "train" / name).mkdir(parents=True)
        for k in range(2):
            Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(tmp_path / "train" / name / f"{k}.png")
    with pytest.raises(ValueError, match="not CIFAR-10's"):
        build_embedded16(tmp_path, tmp_path / "x.npz", train_size=2, valid_size=2)


def test_the_command_needs_an_output_unless_the_script_gives_one(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main([str(tmp_path)])
    assert "--out" in capsys.readouterr().err
