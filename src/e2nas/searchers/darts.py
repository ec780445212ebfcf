"""DARTS (Liu, Simonyan & Yang, ICLR 2019), first order (V1) and second order (V2), on NB201 and DARTS.

Every edge of the supernet is the softmax(alpha)-weighted sum of its ops (``forward_mixture``); the weights
train on the mixture with the engine's SGD, alpha (edges x ops, init 1e-3·N(0,1)) trains with Adam on the
validation loss. The answer is the space's derivation (``ctx.space.derive``): on NB201 the per-edge argmax of
alpha over all five ops, ``none`` included, which is how NB201 (Dong & Yang, ICLR 2020) derives the DARTS
cell and why DARTS there collapses to skip/none cells; on the DARTS space DARTS' own genotype rule.
50 epochs in the ``paper`` preset (NB201 Section 5).

V2 replaces ∇_α L_val(w, α) by the gradient of the unrolled objective L_val(w', α) with
w' = w − ξ·step(∇_w L_train(w, α)), ξ the current weight lr and ``step`` the weight optimizer's own SGD update
(momentum buffer, weight decay, Nesterov), without gradient clipping as in DARTS' virtual step:

    ∇_α L_val(w', α) − c·[∇_α L_train(w⁺, α) − ∇_α L_train(w⁻, α)] / (2 ε_fd)
    w± = w ± ε_fd·∇_{w'} L_val(w', α),   ε_fd = 0.01 / ‖∇_{w'} L_val(w', α)‖

c = ξ for plain momentum (DARTS' formula). With Nesterov, step = (1+μ)·d + μ²·buf for d = g + η·w, so
∂w'/∂g = −ξ(1+μ) and c = ξ(1+μ): that is the exact derivative of the unrolled objective, which the
finite-difference test in ``tests/searchers/test_darts.py`` checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F

from e2nas.searchers.base import Batch, SearchContext, Searcher, SearcherOptions
from e2nas.searchers.registry import register_searcher
from e2nas.spaces.base import Arch as Cell


@dataclass
class DARTSOptions(SearcherOptions):
    init_std: float = 1e-3  # alpha ~ init_std * N(0, 1), as DARTS
    fd_scale: float = 0.01  # V2: eps_fd = fd_scale / ||grad_w' L_val|| (DARTS' 0.01)


@register_searcher
class DARTSV1(Searcher):
    name = "darts-v1"
    description = "DARTS-V1: softmax mixture on every edge, first-order arch gradient; answer = the space's derivation"
    Options = DARTSOptions
    supports_epsilon = False
    spaces: ClassVar[tuple[str, ...]] = ("nb201", "darts")
    any_space = True
    cells_repeat = True  # one mixture for every step: one graph per mode
    paper_overrides: ClassVar[dict[str, Any]] = {"epochs": 50}
    state_attrs: ClassVar[tuple[str, ...]] = ("alpha", "arch_optimizer")

    def setup(self, ctx: SearchContext) -> None:
        self.space = ctx.space
        init = self.options.init_std * torch.randn(ctx.space.num_edges, ctx.space.num_ops, generator=ctx.generator)
        self.alpha = init.to(ctx.device).requires_grad_(True)
        self.arch_optimizer = ctx.make_arch_optimizer([self.alpha])

    def mixture_loss(
        self, batch: Batch, ctx: SearchContext, alpha: torch.Tensor, weight_grads: bool | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return ctx.mixture_loss(batch, F.softmax(alpha, dim=-1), weight_grads)

    def weight_loss(self, batch: Batch, ctx: SearchContext) -> tuple[torch.Tensor, torch.Tensor]:
        return self.mixture_loss(batch, ctx, self.alpha.detach())

    def arch_gradient(self, train_batch: Batch, valid_batch: Batch, ctx: SearchContext) -> tuple[torch.Tensor, dict]:
        """(∇_α of the arch objective, log info). First order: ∇_α L_val(w, α)."""
        loss, logits = self.mixture_loss(valid_batch, ctx, self.alpha)
        (grad,) = torch.autograd.grad(loss, [self.alpha])
        return grad, _info(loss, logits, valid_batch[1])

    def arch_step(self, train_batch: Batch, valid_batch: Batch | None, ctx: SearchContext) -> dict[str, float]:
        assert valid_batch is not None
        grad, info = self.arch_gradient(train_batch, valid_batch, ctx)
        penalty = ctx.budget_penalty(F.softmax(self.alpha, dim=-1))
        if penalty is not None:  # the expected-cost term's gradient adds to the (first- or second-order) one
            if penalty.requires_grad:
                grad = grad + torch.autograd.grad(penalty, [self.alpha])[0]
            info["budget_penalty"] = float(penalty.detach())
        self.arch_optimizer.zero_grad(set_to_none=True)
        self.alpha.grad = grad
        self.arch_optimizer.step()
        return info

    def current_cell(self) -> Cell:
        return self.space.derive(self.alpha)

    def extra_log(self) -> dict[str, Any]:
        p = F.softmax(self.alpha.detach(), dim=-1).mean(0)
        return {"alpha_mean_prob": [round(float(v), 4) for v in p]}


@register_searcher
class DARTSV2(DARTSV1):
    name = "darts-v2"
    description = "DARTS-V2: DARTS with the second-order unrolled arch gradient (finite-difference Hessian term)"

    def arch_gradient(self, train_batch: Batch, valid_batch: Batch, ctx: SearchContext) -> tuple[torch.Tensor, dict]:
        net = ctx.supernet
        params = list(net.weights())
        buffers = [b.detach().clone() for b in net.buffers()]
        w0 = [p.detach().clone() for p in params]
        xi, coef, w_unrolled = self.virtual_step(train_batch, ctx, params)
        try:
            with torch.no_grad():
                for p, v in zip(params, w_unrolled, strict=True):
                    p.copy_(v)
            loss, logits = self.mixture_loss(valid_batch, ctx, self.alpha, weight_grads=True)
            grads = torch.autograd.grad(loss, [self.alpha, *params], allow_unused=True)
            d_alpha = grads[0]
            d_w = [torch.zeros_like(p) if g is None else g for p, g in zip(params, grads[1:], strict=True)]
            norm = torch.sqrt(sum((g * g).sum() for g in d_w))
            eps = self.options.fd_scale / max(float(norm), 1e-12)
            hvp = []
            for sign in (1.0, -1.0):
                with torch.no_grad():
                    for p, w, g in zip(params, w0, d_w, strict=True):
                        p.copy_(w + sign * eps * g)
                lt, _ = self.mixture_loss(train_batch, ctx, self.alpha)
                (g_alpha,) = torch.autograd.grad(lt, [self.alpha])
                hvp.append(g_alpha)
            grad = d_alpha - coef * (hvp[0] - hvp[1]) / (2.0 * eps)
        finally:
            with torch.no_grad():
                for p, w in zip(params, w0, strict=True):
                    p.copy_(w)
                for b, v in zip(net.buffers(), buffers, strict=True):
                    b.copy_(v)
        info = _info(loss, logits, valid_batch[1])
        info["xi"] = xi
        return grad, info

    def virtual_step(
        self, train_batch: Batch, ctx: SearchContext, params: list[torch.nn.Parameter]
    ) -> tuple[float, float, list[torch.Tensor]]:
        """(ξ, Hessian-term coefficient c, w'): one SGD step of the weight optimizer's kind, applied to a copy.

        Mirrors ``torch.optim.SGD`` (dampening 0): d = g + η·w; buf' = μ·buf + d (buf' = d without a buffer);
        step = d + μ·buf' with Nesterov, else buf'; w' = w − ξ·step.
        """
        group = ctx.w_optimizer.param_groups[0]
        xi, mu, wd = float(group["lr"]), float(group.get("momentum", 0.0)), float(group.get("weight_decay", 0.0))
        nesterov = bool(group.get("nesterov", False)) and mu > 0
        loss, _ = self.mixture_loss(train_batch, ctx, self.alpha.detach())
        grads = torch.autograd.grad(loss, params, allow_unused=True)
        out = []
        with torch.no_grad():
            for p, g in zip(params, grads, strict=True):
                d = (torch.zeros_like(p) if g is None else g) + wd * p
                if mu > 0:
                    buf = ctx.w_optimizer.state.get(p, {}).get("momentum_buffer")
                    buf = d if buf is None else mu * buf + d
                    step = d + mu * buf if nesterov else buf
                else:
                    step = d
                out.append(p - xi * step)
        return xi, xi * (1.0 + mu) if nesterov else xi, out


def _info(loss: torch.Tensor, logits: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
    acc = float((logits.detach().argmax(1) == y).float().mean()) * 100.0
    return {"arch_loss": float(loss.detach()), "arch_acc": acc}
