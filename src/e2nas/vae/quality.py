"""How smooth the latent space is for search: does latent distance track ground-truth accuracy distance?"""

from __future__ import annotations

import numpy as np


def hamming1_acc_spread(ops: np.ndarray, acc: np.ndarray) -> float:
    """Mean |Δacc| between each cell and its 24 one-edit neighbours in op space (needs all 15,625 cells).

    A reference point for ``knn_acc_spread``: how smooth the benchmark is under the smallest discrete change.
    """
    ops = np.asarray(ops, dtype=np.int64)
    n_ops = int(ops.max()) + 1
    radix = n_ops ** np.arange(ops.shape[1])
    codes = ops @ radix
    where = np.full(n_ops ** ops.shape[1], -1, dtype=np.int64)
    where[codes] = np.arange(len(codes))
    diffs = []
    for e in range(ops.shape[1]):
        for d in range(1, n_ops):
            other = codes + (((ops[:, e] + d) % n_ops) - ops[:, e]) * radix[e]
            j = where[other]
            ok = j >= 0
            diffs.append(np.abs(acc[ok] - acc[j[ok]]))
    return float(np.concatenate(diffs).mean())


def latent_quality(
    mu: np.ndarray, acc: np.ndarray, pairs: int = 20000, k: int = 10, seed: int = 0
) -> dict[str, float | int]:
    """Spearman(latent distance, |Δacc|) over random pairs, and accuracy spread among latent neighbours.

    ``knn_acc_spread`` is the mean |acc(c) − acc(n)| over each cell's k nearest latent neighbours n;
    ``random_acc_spread`` the same for k random cells. A ratio well below 1 means nearby latents tend to be
    similarly good cells, which is what gradient steps in z rely on.
    """
    from scipy.spatial import cKDTree
    from scipy.stats import spearmanr

    mu = np.asarray(mu, dtype=np.float64)
    acc = np.asarray(acc, dtype=np.float64)
    n = mu.shape[0]
    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, size=pairs)
    j = rng.integers(0, n - 1, size=pairs)
    j = j + (j >= i)  # distinct partner
    dist = np.linalg.norm(mu[i] - mu[j], axis=1)
    rho, pval = spearmanr(dist, np.abs(acc[i] - acc[j]))
    kk = min(k, n - 1)
    _, nn = cKDTree(mu).query(mu, k=kk + 1)
    nn = nn[:, 1:]
    knn_spread = float(np.abs(acc[:, None] - acc[nn]).mean())
    rand = rng.integers(0, n - 1, size=(n, kk))
    rand = rand + (rand >= np.arange(n)[:, None])
    random_spread = float(np.abs(acc[:, None] - acc[rand]).mean())
    return {
        "metric": "cifar10_valid",
        "pairs": int(pairs),
        "spearman_latent_dist_vs_acc_diff": float(rho),
        "spearman_pvalue": float(pval),
        "k": int(kk),
        "knn_acc_spread": knn_spread,
        "random_acc_spread": random_spread,
        "knn_over_random": knn_spread / random_spread if random_spread > 0 else float("nan"),
    }
