"""Image folders (ImageFolder layout, directory or ZIP) built from the real embedded CIFAR-10 images."""

import zipfile

import numpy as np
import pytest
from PIL import Image

from e2nas.data import DATASETS, FolderDataError, has_ground_truth, load_embedded, load_embedded16, load_folder
from e2nas.data.folder import CIFAR10_CLASSES
from e2nas.data.registry import balanced_head, resize, search_split


def test_folder_split_is_class_balanced_even_odd_and_lossless_for_png(make_image_folder, tmp_path):
    imgs = make_image_folder(tmp_path)
    s = load_folder(tmp_path)
    assert s.class_names == ("class0", "class1", "class2") and not s.has_val_folder
    assert len(s.train) == 9 and len(s.valid) == 9
    assert np.bincount(s.train.y).tolist() == [3, 3, 3]
    assert s.train.y.tolist() == [0, 1, 2] * 3  # classes interleaved: fixed-order eval batches mix classes
    # even positions of each class train, odd positions validate; PNG keeps the exact pixels
    assert np.array_equal(s.train.x[0], imgs["class0"][0]) and np.array_equal(s.valid.x[0], imgs["class0"][1])
    assert s.train.classes == 3 and s.train.family == "folder"
    mean, std = s.train.normalisation
    assert len(mean) == 3 and all(0 < m < 1 for m in mean) and all(v > 0 for v in std)


def test_folder_sizes_resize_and_val_folder(make_image_folder, tmp_path):
    make_image_folder(tmp_path, per_class=8)
    s = load_folder(tmp_path, image_size=16, train_size=5, valid_size=4)
    assert s.train.x.shape == (5, 16, 16, 3) and s.valid.x.shape == (4, 16, 16, 3)
    assert np.bincount(s.train.y).tolist() == [2, 2, 1]
    full = load_folder(tmp_path)
    # BOX resampling 32 -> 16 is the mean of each 2x2 block (rounded)
    block = full.train.x[0].reshape(16, 2, 16, 2, 3).astype(float).mean((1, 3))
    assert np.abs(s.train.x[0].astype(float) - block).max() <= 1.0
    # an explicit val/ folder is used as it is
    (tmp_path / "val" / "class1").mkdir(parents=True)
    Image.fromarray(full.train.x[0]).save(tmp_path / "val" / "class1" / "a.png")
    v = load_folder(tmp_path)
    assert v.has_val_folder and len(v.train) == 24 and v.valid.y.tolist() == [1]


def test_folder_reads_a_zip_with_a_top_folder(make_image_folder, tmp_path):
    make_image_folder(tmp_path / "src" / "set", fmt="jpg")
    z = tmp_path / "set.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in sorted((tmp_path / "src").rglob("*.jpg")):
            zf.write(f, f.relative_to(tmp_path / "src"))
    a = load_folder(z)
    b = load_folder(tmp_path / "src" / "set")
    assert np.array_equal(a.train.x, b.train.x) and np.array_equal(a.valid.y, b.valid.y)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p, mk: None, "does not exist"),
        (lambda p, mk: p.mkdir(), "no train/<class>/ folders"),
        (lambda p, mk: (p / "train" / "a").mkdir(parents=True), r"train/a holds no .jpg/.jpeg/.png images"),
        (lambda p, mk: mk(p, classes=(0,)), "at least 2"),
        (lambda p, mk: (p.mkdir(), (p / "x.zip").write_bytes(b"not a zip")), None),
    ],
)
def test_folder_bad_layouts_name_the_problem(make_image_folder, tmp_path, make, match):
    root = tmp_path / "data"
    make(root, make_image_folder)
    if match is None:
        root = root / "x.zip"
        match = "neither a directory nor a readable ZIP"
    with pytest.raises(FolderDataError, match=match):
        load_folder(root)


def test_folder_bad_images_and_sizes(make_image_folder, tmp_path):
    make_image_folder(tmp_path)
    (tmp_path / "train" / "class0" / "zz.jpg").write_bytes(b"this is not a jpeg")
    with pytest.raises(FolderDataError, match=r"zz.jpg is not a readable image"):
        load_folder(tmp_path)
    (tmp_path / "train" / "class0" / "zz.jpg").unlink()
    Image.new("RGB", (20, 20)).save(tmp_path / "train" / "class1" / "big.png")
    with pytest.raises(FolderDataError, match="different sizes.*--image-size"):
        load_folder(tmp_path)
    assert load_folder(tmp_path, image_size=8).train.x.shape[1:] == (8, 8, 3)
    with pytest.raises(FolderDataError, match="at most"):
        load_folder(tmp_path, train_size=100, image_size=8)
    with pytest.raises(FolderDataError, match="image-size"):
        load_folder(tmp_path, image_size=2)


def test_registry_knows_which_datasets_have_ground_truth():
    assert has_ground_truth("embedded16") and has_ground_truth("cifar10-jpeg") and not has_ground_truth("folder")
    assert {"embedded", "embedded16", "cifar10", "cifar100", "imagenet16-120", "folder"} <= set(DATASETS)


def test_embedded16_is_the_documented_sample():
    train, valid = load_embedded16()
    assert train.x.shape == (25000, 16, 16, 3) and valid.x.shape == (2000, 16, 16, 3)
    assert np.bincount(train.y).tolist() == [2500] * 10 and np.bincount(valid.y).tolist() == [200] * 10
    # the same images as the first CIFAR-10 training images of each class (JPEG vs lossless: close, not equal)
    # rank 0 of class 0 (the first airplane of data_batch_1) is train image 0: the JPEG, shrunk, is close to the
    # shrunk lossless original (mean error of a few grey levels), far from another airplane
    lossless = load_embedded()
    planes = resize(lossless.subset(np.flatnonzero(lossless.y == 0)[:2]), 16).x.astype(int)
    err = np.abs(train.x[0].astype(int) - planes[0]).mean()
    assert err < 8 and err < np.abs(train.x[0].astype(int) - planes[1]).mean() / 3
    s_train, s_valid = search_split("embedded16", train_size=1000, valid_size=500)
    assert len(s_train) == 1000 and np.bincount(s_train.y).tolist() == [100] * 10 and len(s_valid) == 500


def test_balanced_head_and_resize_on_array_datasets():
    d = load_embedded()
    h = balanced_head(d, 25, "a training set")
    assert np.bincount(h.y, minlength=10).tolist() == [3] * 5 + [2] * 5
    assert resize(h, 16).x.shape == (25, 16, 16, 3) and resize(h, 32) is h
    train, valid = search_split("embedded", image_size=16, train_size=100)
    assert train.x.shape == (100, 16, 16, 3) and valid.x.shape[1:] == (16, 16, 3)


def test_cifar10_jpeg_checks_the_classes(make_image_folder, tmp_path):
    make_image_folder(tmp_path, classes=tuple(range(10)), names=CIFAR10_CLASSES, per_class=2, fmt="jpg")
    train, valid = search_split("cifar10-jpeg", tmp_path)
    assert train.family == "cifar10" and train.classes == 10 and len(valid) == 10
    other = tmp_path / "other"
    make_image_folder(other, classes=(0, 1))
    with pytest.raises(FolderDataError, match="is not CIFAR-10"):
        search_split("cifar10-jpeg", other)
