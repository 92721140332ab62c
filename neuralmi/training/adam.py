"""Adam over stacked parameters: elementwise, so each member gets exactly its own Adam update."""

from __future__ import annotations

import torch


class StackedAdam:
    """Adam (with optional L2 weight decay) for dicts of (k, ...) tensors; members can be dropped."""

    def __init__(self, params: dict, lr: float, weight_decay: float = 0.0, betas=(0.9, 0.999), eps: float = 1e-8):
        self.lr, self.weight_decay, self.betas, self.eps = lr, weight_decay, betas, eps
        self.step_count = 0
        self.m = {n: torch.zeros_like(p) for n, p in params.items()}
        self.v = {n: torch.zeros_like(p) for n, p in params.items()}

    @torch.no_grad()
    def step(self, params: dict) -> None:
        self.step_count += 1
        b1, b2 = self.betas
        c1, c2 = 1 - b1**self.step_count, 1 - b2**self.step_count
        for name, p in params.items():
            grad = p.grad
            if self.weight_decay:
                grad = grad + self.weight_decay * p
            self.m[name].mul_(b1).add_(grad, alpha=1 - b1)
            self.v[name].mul_(b2).addcmul_(grad, grad, value=1 - b2)
            denom = (self.v[name] / c2).sqrt_().add_(self.eps)
            p.addcdiv_(self.m[name], denom, value=-self.lr / c1)
            p.grad = None

    def keep(self, members: torch.Tensor) -> None:
        self.m = {n: t[members] for n, t in self.m.items()}
        self.v = {n: t[members] for n, t in self.v.items()}
