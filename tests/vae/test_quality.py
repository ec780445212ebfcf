import numpy as np

from e2nas.spaces.nb201 import load_table
from e2nas.vae.quality import hamming1_acc_spread, latent_quality


def test_latent_quality_detects_a_smooth_and_a_random_space():
    acc = load_table().column("cifar10_valid")
    rng = np.random.default_rng(0)
    smooth = latent_quality(acc[:, None] + 0.01 * rng.standard_normal((acc.size, 2)), acc, pairs=5000)
    noise = latent_quality(rng.standard_normal((acc.size, 4)), acc, pairs=5000)
    assert smooth["spearman_latent_dist_vs_acc_diff"] > 0.9 and smooth["knn_over_random"] < 0.1
    assert abs(noise["spearman_latent_dist_vs_acc_diff"]) < 0.05 and 0.9 < noise["knn_over_random"] < 1.1


def test_hamming1_spread_on_the_benchmark():
    t = load_table()
    acc = t.column("cifar10_valid")
    h1 = hamming1_acc_spread(t.ops, acc)
    rand = np.abs(acc - np.random.default_rng(0).permutation(acc)).mean()
    assert 0 < h1 < rand
