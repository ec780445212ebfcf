"""Train the D-VAE on the NB201 cells, deterministically for a given seed on CPU."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import torch

from e2nas.vae.data import SPLIT_SEED, all_ops, make_split
from e2nas.vae.model import DVAE, DVAEConfig


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings. The defaults are the ones the shipped weights were trained with."""

    model: DVAEConfig = field(default_factory=DVAEConfig)
    epochs: int = 60
    batch_size: int = 128
    lr: float = 3e-3
    beta: float = 0.005
    seed: int = 0
    split_seed: int = SPLIT_SEED
    #: stop once validation exact-match reconstruction has been 1.0 for this many epochs, or has not
    #: improved for this many epochs
    patience: int = 3
    grad_clip: float = 5.0
    #: use only this many training cells (tiny configs for tests); None = all 12,500
    max_train: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class EpochLog:
    epoch: int
    loss: float
    nll: float
    kl: float
    valid_recon_acc: float
    seconds: float


@torch.no_grad()
def recon_accuracy(model: DVAE, ops: torch.Tensor, batch_size: int = 4096) -> float:
    """Fraction of cells whose argmax decode of μ equals the cell exactly."""
    hits = 0
    for i in range(0, ops.shape[0], batch_size):
        o = ops[i : i + batch_size]
        mu, _ = model.encode(o)
        hits += int((model.decode_argmax(mu) == o).all(dim=1).sum())
    return hits / max(1, ops.shape[0])


def train_dvae(config: TrainConfig, on_epoch: Callable[[EpochLog], None] | None = None) -> tuple[DVAE, dict]:
    """Train a D-VAE; returns the model (best validation epoch) and its training record."""
    gen = torch.Generator().manual_seed(config.seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model = DVAE(config.model)
    ops = all_ops()
    split = make_split(config.split_seed)
    train_ops = ops[torch.from_numpy(split.train)]
    if config.max_train is not None:
        train_ops = train_ops[: config.max_train]
    valid_ops = ops[torch.from_numpy(split.valid)]
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=2)
    history: list[EpochLog] = []
    best_acc, best_state, best_epoch, since_best, perfect_run = -1.0, None, 0, 0, 0
    load_start = _loadavg()
    t_start = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(train_ops.shape[0], generator=gen)
        tot = nll_tot = kl_tot = 0.0
        n_batches = 0
        for i in range(0, perm.shape[0], config.batch_size):
            batch = train_ops[perm[i : i + config.batch_size]]
            loss, nll, kl = model.loss(batch, config.beta, generator=gen)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            opt.step()
            tot, nll_tot, kl_tot = (
                tot + float(loss.detach()),
                nll_tot + float(nll.detach()),
                kl_tot + float(kl.detach()),
            )
            n_batches += 1
        model.eval()
        acc = recon_accuracy(model, valid_ops)
        sched.step(acc)
        log = EpochLog(epoch, tot / n_batches, nll_tot / n_batches, kl_tot / n_batches, acc, time.perf_counter() - t0)
        history.append(log)
        if on_epoch is not None:
            on_epoch(log)
        if acc > best_acc:
            best_acc, best_epoch, since_best = acc, epoch, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            since_best += 1
        perfect_run = perfect_run + 1 if acc == 1.0 else 0
        if perfect_run >= config.patience or since_best >= config.patience * 2:
            break
    train_seconds = time.perf_counter() - t_start
    if best_state is not None and best_acc > history[-1].valid_recon_acc:
        model.load_state_dict(best_state)
    model.eval()
    record = {
        "train_config": config.to_dict(),
        "seed": config.seed,
        "epochs_run": len(history),
        "best_epoch": best_epoch,
        "train_seconds": round(train_seconds, 2),
        "valid_recon_acc": max(h.valid_recon_acc for h in history),
        "final": asdict(history[-1]),
        "history": [asdict(h) for h in history],
        "torch_version": str(torch.__version__),
        "torch_threads": torch.get_num_threads(),
        "load_avg_at_start": load_start,
        "load_avg_at_end": _loadavg(),
    }
    return model, record


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - not on every platform
        return None
