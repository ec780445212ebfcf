"""E²NAS (Zhang et al., NeurIPS 2020): search in the latent space of the D-VAE with probabilistic novelty.

State: a latent point z, its Adam, the previous cell (for complementation), a FIFO archive of visited cells
and a GPND novelty model fitted to it. Per step (engine order: ``weight_loss`` then ``arch_step``):

``paper`` (default; docs/reference/method.md#search-paper-variant)
    1. decode z: sample a cell a ~ p(cell | z) (argmax with ``sample=False``); append a to the archive.
    2. weight step: L_c = (1-ε)·CE(a) + ε·(CE(complement) + CE(prev)) with real gradients on all three paths.
    3. arch step (valid batch): p = p_e(z | a) from the decoder, H = onehot(a) - sg(p) + p, so the gradient of
       L_val = CE(supernet_st(x, a, H)) reaches z *through the decoder*; novelty N = -log p_A(z) from GPND
       (D(z) = the decoder's 6x5 probabilities on its argmax path, x = onehot(a)); Adam on z minimising
       (1-γ_t)·L_val + γ_t·log p_A(z).
    4. answer: argmax decode of z.

``reference`` (what the authors' published code does, for reproduction and ablation)
    z has 30 entries; P = softmax over all 30, reshaped 6x5 (one joint softmax, not per edge); the cell is a
    stochastic D-VAE decode of sg(z) (first ``nz`` entries, see below); H = onehot(a) - sg(P) + P, so the
    decoder is never differentiated. L_c has ε/2 on the two extra terms and they are values only (the weight
    gradient is that of CE(a)); novelty is a value only and 0 until the archive (last 50 decodes) is full.

    Interpretation: the authors' D-VAE has nz = 30, so one vector is both the 30 softmax logits and the latent
    code. Our shipped D-VAE has nz < 30 (GPND needs nz < m = 30), so the latent code is z[:nz]; the remaining
    entries only enter the softmax, as entries with no latent meaning do in the authors' code too (there the
    softmax entry (e, o) and latent dimension 5e+o are unrelated as well).

γ_t comes from ``gamma`` ("sig:10" default, or a static "0.5"), t = epoch. See docs/e2nas.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F

from e2nas.device import to_device
from e2nas.novelty import Archive, GammaParseError, NoveltyConfig, NoveltyModel, cell_onehot, parse_gamma
from e2nas.novelty.background import BackgroundTask
from e2nas.searchers.base import Batch, SearchContext, Searcher, SearcherError, SearcherOptions
from e2nas.searchers.complement import complement, complement_loss
from e2nas.searchers.registry import register_searcher
from e2nas.spaces.base import Arch as Cell

VARIANTS = ("paper", "reference")
GRAD_BALANCE = ("none", "unit")
DEAD_CELL = ("mixture", "skip")


@dataclass
class E2NASOptions(SearcherOptions):
    variant: str = "paper"  # paper | reference
    gamma: str = "sig:10"  # novelty weight schedule: a number in [0, 1] or sig:K
    archive_size: int = 50  # FIFO archive of visited cells
    min_archive: int = 10  # paper: novelty is 0 until the archive has this many cells (reference: when full)
    refit_every: int = 10  # refit the novelty densities every this many steps (and whenever they become ready)
    init_std: float = 1e-3  # z ~ init_std * N(0, I) (the authors' init)
    arch_lr: float | None = None  # Adam lr on z; None: the config's arch lr scaled to the step budget (z_lr_for)
    sample: bool = True  # sample the training cell from p(cell | z); False: argmax decode
    pz_min_scale: float = 0.1  # floor on p_Z's per-dimension scale (~ the D-VAE's posterior std of one cell)
    pz_max_beta: float = 4.0  # upper clamp on p_Z's generalised-Gaussian shape
    z_radius: float | None = None  # paper: keep ||z|| <= this; None: the largest encoder-mean norm of any cell; 0: off
    grad_balance: str = (
        "unit"  # unit: each gradient scaled to norm 1, then mixed by γ; none: raw (1-γ)∇L_val + γ∇log p_A
    )
    vae: str | None = None  # path to a D-VAE checkpoint; None: the shipped pretrained model
    dead_cell: str = "mixture"  # paper, disconnected cell: mixture = valid loss of the decoder-weighted mixture; skip
    async_refit: bool = True  # refit the novelty model on a worker thread during the weight step (same numbers)


#: z steps of the paper protocol: 250 epochs x 391 steps (25k images, batch 64)
PAPER_Z_STEPS = 250 * 391
#: the largest default z learning rate (tiny budgets such as the smoke preset)
MAX_DEFAULT_Z_LR = 0.05


def z_lr_for(base_lr: float, total_steps: int) -> float:
    """Adam lr for z that lets it travel as far in ``total_steps`` as ``base_lr`` does in the paper's budget.

    Adam moves each coordinate by at most ~lr per step, and neighbouring cells' encoder means lie a fraction of a
    unit apart (docs/vae.md), so the paper's 3e-4 over a CPU preset's few hundred steps leaves z inside its first
    cell. What runs with either lr did: docs/e2nas.md, "What we measured".
    """
    return min(MAX_DEFAULT_Z_LR, base_lr * max(1.0, PAPER_Z_STEPS / max(1, total_steps)))


def load_vae(path: str | None) -> torch.nn.Module:
    """The frozen D-VAE (CPU, eval mode, no parameter gradients): the shipped one, or ``path``."""
    from e2nas.vae import VAECheckpointError, load_checkpoint, load_pretrained

    try:
        model = load_pretrained() if path is None else load_checkpoint(path)[0]
    except (VAECheckpointError, FileNotFoundError) as err:
        raise SearcherError(f"e2nas needs a D-VAE: {err}") from None
    model = model.cpu().eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


@register_searcher
class E2NAS(Searcher):
    name = "e2nas"
    description = "E²NAS: latent z of the D-VAE, valid-loss + GPND-novelty gradient, complementation loss"
    Options = E2NASOptions
    cells_repeat = True  # z moves slowly: the decoded cell stays for many steps
    default_epsilon: ClassVar[float] = 0.5
    state_attrs: ClassVar[tuple[str, ...]] = (
        "z",
        "arch_optimizer",
        "prev_cell",
        "step_cell",
        "archive",
        "novelty_model",
        "gamma_t",
        "dead_steps",
    )

    def __init__(self, options: SearcherOptions | None = None, epsilon: float = 0.0) -> None:
        super().__init__(options, epsilon)
        o = self.options
        if o.variant not in VARIANTS:
            raise SearcherError(f"unknown e2nas variant {o.variant!r}; choose one of {', '.join(VARIANTS)}")
        try:
            self.schedule = parse_gamma(o.gamma)
        except GammaParseError as err:
            raise SearcherError(str(err)) from None
        if o.archive_size < 1 or o.min_archive < 2 or o.refit_every < 1:
            raise SearcherError("archive_size must be >= 1, min_archive >= 2 and refit_every >= 1")
        if o.grad_balance not in GRAD_BALANCE:
            raise SearcherError(f"unknown grad_balance {o.grad_balance!r}; choose one of {', '.join(GRAD_BALANCE)}")
        if o.dead_cell not in DEAD_CELL:
            raise SearcherError(f"unknown dead_cell {o.dead_cell!r}; choose one of {', '.join(DEAD_CELL)}")
        if o.z_radius is not None and o.z_radius < 0:
            raise SearcherError(f"z_radius must be >= 0 (0 disables the bound), got {o.z_radius}")
        if not (o.pz_min_scale > 0 and o.pz_max_beta >= 1):
            raise SearcherError("pz_min_scale must be > 0 and pz_max_beta >= 1")
        self.reference = o.variant == "reference"
        self.prev_cell: Cell | None = None
        self.step_cell: Cell | None = None
        self.gamma_t = 0.0
        self.dead_steps = 0
        self.vae: torch.nn.Module | None = None
        self._ops: tuple[Cell, torch.Tensor] | None = None  # the last decoded cell and its ops on the device
        self._probs: tuple[Cell, int, torch.Tensor] | None = None  # its p_e(z | cell), z's version (decode())
        self._refit_checked: int | None = None  # the global step whose refit decision was made
        self._vae_file = False  # whether setup read the D-VAE from a file (its radius is then memoised)

    # -- setup ------------------------------------------------------------------------------------------
    def setup(self, ctx: SearchContext) -> None:
        o = self.options
        self._vae_file = self.vae is None  # a model read from a file (not injected by a test) has a cached radius
        if self.vae is None:  # tests may inject a model before setup
            self.vae = load_vae(o.vae)
        nz = int(self.vae.nz)
        self.space = ctx.space
        # the reference variant's z: one joint softmax over the 6 x 5 (edge, op) entries
        reference_dim = ctx.space.num_edges * ctx.space.num_ops
        if self.reference and nz > reference_dim:
            raise SearcherError(f"the reference variant needs a D-VAE with nz <= {reference_dim}, got nz={nz}")
        self.nz = nz
        dim = reference_dim if self.reference else nz
        # z, the D-VAE and the novelty model live on the training device: a step moves only the six op indices
        # of the sampled cell to the host (they choose the kernels), nothing else
        self.vae = self.vae.to(ctx.device)
        self.z = (o.init_std * torch.randn(dim, generator=ctx.generator)).to(ctx.device).requires_grad_(True)
        self.arch_optimizer = ctx.make_arch_optimizer([self.z])
        lr = o.arch_lr if o.arch_lr is not None else z_lr_for(ctx.config.arch_lr, ctx.epochs * ctx.steps_per_epoch)
        for g in self.arch_optimizer.param_groups:
            g["lr"] = lr
        self.z_lr = lr
        self.z_radius = 0.0 if self.reference else self._radius(o.z_radius)
        self.archive = Archive(o.archive_size, encode=self._encode)
        min_points = o.archive_size if self.reference else min(o.min_archive, o.archive_size)
        self.novelty_model = NoveltyModel(
            NoveltyConfig(
                min_points=max(2, min_points),
                beta_bounds=(1.0, o.pz_max_beta),
                min_scale=o.pz_min_scale,
                # ||w_perp|| is ~0 when the sampled cell is the decoded one and ~sqrt(2 k) when k edges differ;
                # a coarse floor keeps log p_perp of the latter at -O(100) instead of -O(10^4)
                kde_min_bandwidth=0.1,
            )
        )
        self.novelty_model.decoder = self.decoder
        self.gamma_t = self.schedule(0, ctx.epochs)
        self.refit = BackgroundTask(enabled=o.async_refit, device=ctx.device)

    def _radius(self, option: float | None) -> float:
        """The ball z is kept in: the decoder was trained on encoder means only, and novelty pushes z away
        from visited cells without bound, far out where decodes are often disconnected cells (measured norms:
        docs/e2nas.md, "What we measured")."""
        if option is not None:
            return float(option)
        from e2nas.vae import encoder_radius
        from e2nas.vae.data import all_ops

        if self._vae_file:
            return encoder_radius(self.options.vae)
        mu, _ = self.vae.encode_cells(all_ops().numpy())
        return float(mu.norm(dim=1).max())

    def _project(self) -> None:
        if self.z_radius > 0:
            with torch.no_grad():  # a factor of exactly 1 inside the ball: no branch on a device value
                self.z.mul_(torch.clamp(self.z_radius / self.z.norm(), max=1.0))

    def _encode(self, cells: list[Cell]) -> torch.Tensor:
        assert self.vae is not None
        return self.vae.encode_cells(cells)[0].detach().cpu()

    def latent(self, z: torch.Tensor | None = None) -> torch.Tensor:
        """The D-VAE latent code of the arch state (all of z in ``paper``, z[:nz] in ``reference``)."""
        z = self.z if z is None else z
        return z[: self.nz] if self.reference else z

    def decoder(self, z: torch.Tensor) -> torch.Tensor:
        """D(z): the decoder's 6x5 op probabilities (argmax decode path), flattened to (30,)."""
        assert self.vae is not None
        return self.vae.edge_probs(z).reshape(-1)

    # -- cells ------------------------------------------------------------------------------------------
    def decode(self, sample: bool, ctx: SearchContext | None = None, keep_probs: bool = False) -> Cell:
        """Decode z into a cell. The op indices are the step's one device-to-host read (they choose kernels).
        On the CPU a sample is a seeded multinomial draw; on a GPU an inverse-CDF draw from six uniforms of the
        same CPU generator (same distribution, another random stream).

        ``keep_probs`` (the training step, paper variant): the decoding pass runs with autograd and its per-edge
        probabilities are kept for the arch step's straight-through weights. They are those of the decoder
        teacher-forced on the decoded cell (each vertex is conditioned on the ops chosen before it), so this
        saves that second decoder pass; z does not change in between (checked by its version counter)."""
        assert self.vae is not None
        keep = keep_probs and not self.reference
        zl = self.latent() if keep else self.latent().detach()
        kw: dict[str, Any] = {"mode": "sample" if sample else "argmax"}
        if sample:
            assert ctx is not None
            if zl.device.type == "cpu":
                kw["generator"] = ctx.generator
            else:
                kw["uniforms"] = to_device(torch.rand(1, self.space.num_edges, generator=ctx.generator), zl.device)
        with torch.set_grad_enabled(keep):
            logp, ops = self.vae.decoder(zl.unsqueeze(0), **kw)
        ops = ops.reshape(-1)
        cell = self.space.arch([int(o) for o in ops.tolist()])
        self._ops = (cell, ops)
        self._probs = (cell, self.z._version, logp[0, :, : self.space.num_ops].exp()) if keep else None
        return cell

    def _ops_tensor(self, cell: Cell) -> torch.Tensor:
        """``cell``'s op indices on z's device (the decoded tensor when it is the last decoded cell)."""
        if self._ops is not None and self._ops[0] == cell:
            return self._ops[1]
        return to_device(torch.tensor(cell.ops), self.z.device)

    def current_cell(self) -> Cell:
        return self.decode(sample=False)

    def final_cell(self, ctx: SearchContext) -> Cell:
        return self.decode(sample=False)

    # -- schedule ---------------------------------------------------------------------------------------
    def epoch_start(self, ctx: SearchContext) -> None:
        self.gamma_t = float(self.schedule(ctx.epoch, ctx.epochs))

    # -- weight step ------------------------------------------------------------------------------------
    def weight_loss(self, batch: Batch, ctx: SearchContext) -> tuple[torch.Tensor, torch.Tensor]:
        cur = self.decode(sample=self.options.sample, ctx=ctx, keep_probs=True)
        self.step_cell = cur
        self.archive.add(cur)
        self._start_refit(ctx)  # runs while the supernet trains; joined in arch_step
        loss_cur, logits = ctx.cell_loss(batch, cur)
        if self.reference:
            loss = self._reference_lc(batch, ctx, cur, loss_cur)
        else:
            loss, _ = complement_loss(
                lambda c: ctx.cell_loss(batch, c)[0], cur, self.prev_cell, self.epsilon, ctx.generator, loss_cur
            )
        self.prev_cell = cur
        return loss, logits

    def _reference_lc(self, batch: Batch, ctx: SearchContext, cur: Cell, loss_cur: torch.Tensor) -> torch.Tensor:
        """Authors' L_c: value (1-ε)·CE(a) + ε/2·(CE(c) + CE(prev)), gradient that of CE(a) alone."""
        if self.epsilon == 0.0 or self.prev_cell is None:
            return loss_cur
        comp = complement(self.prev_cell, cur, ctx.generator)
        with torch.no_grad():
            extra = float(ctx.cell_loss(batch, comp)[0]) + float(ctx.cell_loss(batch, self.prev_cell)[0])
        value = (1.0 - self.epsilon) * float(loss_cur.detach()) + 0.5 * self.epsilon * extra
        return loss_cur + (value - loss_cur.detach())

    # -- arch step --------------------------------------------------------------------------------------
    def straight_through(self, cell: Cell) -> tuple[torch.Tensor, torch.Tensor]:
        """(H, p): straight-through op weights (6x5) for ``cell`` and the probabilities p they carry."""
        assert self.vae is not None
        ops = self._ops_tensor(cell)
        onehot = F.one_hot(ops, self.space.num_ops).to(self.z.dtype)
        kept = self._probs
        if self.reference:
            # one joint softmax over all 30 entries
            p = torch.softmax(self.z, dim=0).reshape(self.space.num_edges, self.space.num_ops)
        elif kept is not None and kept[0] == cell and kept[1] == self.z._version:
            p, self._probs = kept[2], None  # this step's decoding pass (see decode); its graph is used once
        else:
            p = self.vae.edge_probs(self.z, ops=ops)  # through the decoder
        return onehot - p.detach() + p, p

    def valid_loss(self, valid_batch: Batch, ctx: SearchContext, cell: Cell) -> tuple[torch.Tensor, torch.Tensor]:
        x = valid_batch[0]
        H, p = self.straight_through(cell)
        if not cell.connected and not self.reference and self.options.dead_cell == "mixture":
            # A disconnected cell outputs zeros, so its straight-through gradient is exactly zero and z would sit
            # on it once γ_t is small (runs that ended so: docs/e2nas.md, "What we measured"). The DARTS relaxation
            # with the decoder's probabilities as weights says which ops would reconnect it.
            self.dead_steps += 1
            return ctx.mixture_loss(valid_batch, p.to(x.device))
        return ctx.st_loss(valid_batch, cell, H.to(x.device))

    def _start_refit(self, ctx: SearchContext) -> None:
        """Refit p_Z and p_perp when due (every ``refit_every`` steps, and until the model is first ready). The
        archive does not change between here and the arch step, so this is the refit the arch step would do."""
        m = self.novelty_model
        self._refit_checked = ctx.global_step
        due = ctx.global_step % self.options.refit_every == 0
        if len(self.archive) >= m.config.min_points and (due or not m.ready):
            self.refit.submit(self._refit)

    def _refit(self) -> None:
        dev = self.z.device
        latents, onehots = to_device(self.archive.latents(), dev), to_device(self.archive.onehots(), dev)
        self.novelty_model.fit(latents, onehots, self.decoder)

    def _maybe_refit(self, ctx: SearchContext) -> None:
        """Join the refit started in this step's weight step (or decide now if the arch step runs alone)."""
        if self._refit_checked != ctx.global_step:
            self._start_refit(ctx)
        self.refit.wait()

    def novelty_log_density(self, cell: Cell) -> torch.Tensor:
        """log p_A(z) at the current z for ``cell`` (0 until the model is ready); differentiable in z."""
        x = to_device(cell_onehot(cell, self.z.dtype), self.z.device)
        return self.novelty_model.log_density(self.latent(), x)

    def arch_step(self, train_batch: Batch, valid_batch: Batch | None, ctx: SearchContext) -> dict[str, float]:
        assert valid_batch is not None
        cell = self.step_cell if self.step_cell is not None else self.decode(self.options.sample, ctx)
        self._maybe_refit(ctx)
        g = self.gamma_t
        l_val, logits = self.valid_loss(valid_batch, ctx, cell)
        # every entry of H enters the supernet's straight-through forward, so z is always in the graph (for a
        # disconnected cell under dead_cell=skip, or in reference, its gradient is simply zero)
        (g_val,) = torch.autograd.grad(l_val, self.z)
        if self.reference:  # novelty is a value only
            with torch.no_grad():
                log_p = self.novelty_log_density(cell)
            g_nov = torch.zeros_like(self.z)
        else:
            log_p = self.novelty_log_density(cell)
            (g_nov,) = torch.autograd.grad(log_p, self.z, allow_unused=True)
            g_nov = torch.zeros_like(self.z) if g_nov is None else g_nov
        self.arch_optimizer.zero_grad(set_to_none=True)
        self.z.grad = self.mix(g_val, g_nov, g)
        penalty = None
        if ctx.budget is not None:  # the expected cost of the decoder's cell at z (the D-VAE's latent part of z)
            penalty = ctx.budget_penalty(self.decoder(self.latent()).reshape(ctx.space.num_edges, ctx.space.num_ops))
            if penalty.requires_grad:
                self.z.grad = self.z.grad + torch.autograd.grad(penalty, self.z)[0]
        self.arch_optimizer.step()
        self._project()
        # device tensors, no host read: the engine accumulates them. float64 from float32 is exact and the
        # arithmetic below is Python's double arithmetic, so on the CPU the logged numbers are unchanged
        y = valid_batch[1]
        l_val64, log_p64 = l_val.detach().double(), log_p.detach().double()
        return {
            "arch_loss": (1.0 - g) * l_val64 + g * log_p64,
            "arch_acc": (logits.detach().argmax(1) == y).float().mean().double() * 100.0,
            "valid_loss": l_val64,
            "novelty": -log_p64,
            "grad_val_norm": g_val.norm().double(),
            "grad_novelty_norm": g_nov.norm().double(),
            **({} if penalty is None else {"budget_penalty": penalty.detach().double()}),
        }

    def mix(self, g_val: torch.Tensor, g_nov: torch.Tensor, gamma: float) -> torch.Tensor:
        """The z gradient. ``none``: (1-γ)·∇L_val + γ·∇log p_A, the paper's objective. ``unit``: both gradients
        scaled to norm 1 first, so γ mixes directions (log p_A's gradient is often 10^3-10^15 times larger than
        L_val's, which makes L_val irrelevant under ``none`` until γ is tiny)."""
        if self.options.grad_balance == "unit":  # a zero gradient stays exactly zero (0 / 1e-12)
            g_val = g_val / g_val.norm().clamp_min(1e-12)
            g_nov = g_nov / g_nov.norm().clamp_min(1e-12)
        return (1.0 - gamma) * g_val + gamma * g_nov

    # -- logging / checkpointing ------------------------------------------------------------------------
    def extra_log(self) -> dict[str, Any]:
        return {
            "variant": self.options.variant,
            "gamma": self.gamma_t,
            "archive_size": len(self.archive),
            "archive_unique": len(set(self.archive.cells)),
            "novelty_ready": self.novelty_model.ready,
            "decoded_cell": self.current_cell().to_string(),
            "step_cell": self.step_cell.to_string() if self.step_cell is not None else None,
            "z_norm": float(self.z.detach().norm()),
            "dead_steps": self.dead_steps,
            "z_lr": self.z_lr,
            "z_radius": self.z_radius,
            "z": [round(float(v), 5) for v in self.z.detach()],
            "archive": [c.index for c in self.archive.cells],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.novelty_model.decoder = self.decoder
