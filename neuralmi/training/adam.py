"""Adam over stacked parameters: elementwise, so each member gets exactly its own Adam update (with its own
learning rate and weight decay when these are given per member)."""

from __future__ import annotations

import torch


class StackedAdam:
    """Adam (with optional L2 weight decay) for dicts of (k, ...) tensors; members can be dropped. `lr` and
    `weight_decay` are numbers, or (k,) tensors of one value per member (a member's update is then the same
    arithmetic whatever the others' values).

    Each step is a handful of multi-tensor (foreach) kernels over all parameters, not a few per parameter.
    """

    def __init__(self, params: dict, lr, weight_decay=0.0, betas=(0.9, 0.999), eps: float = 1e-8):
        self.lr, self.weight_decay, self.betas, self.eps = lr, weight_decay, betas, eps
        self.step_count = 0
        self.m = {n: torch.zeros_like(p) for n, p in params.items()}
        self.v = {n: torch.zeros_like(p) for n, p in params.items()}

    @torch.no_grad()
    def step(self, params: dict) -> None:
        self.step_count += 1
        b1, b2 = self.betas
        c1, c2 = 1 - b1**self.step_count, 1 - b2**self.step_count
        p = list(params.values())
        m, v = [self.m[n] for n in params], [self.v[n] for n in params]
        grads = [t.grad for t in p]
        if torch.is_tensor(self.weight_decay):
            grads = torch._foreach_add(grads, torch._foreach_mul(p, _members(self.weight_decay, p)))
        elif self.weight_decay:
            grads = torch._foreach_add(grads, torch._foreach_mul(p, self.weight_decay))
        torch._foreach_mul_(m, b1)
        torch._foreach_add_(m, grads, alpha=1 - b1)
        torch._foreach_mul_(v, b2)
        torch._foreach_addcmul_(v, grads, grads, value=1 - b2)
        denom = torch._foreach_div(v, c2)
        torch._foreach_sqrt_(denom)
        torch._foreach_add_(denom, self.eps)
        if torch.is_tensor(self.lr):
            steps = torch._foreach_div(m, denom)
            torch._foreach_mul_(steps, _members(self.lr / c1, p))
            torch._foreach_sub_(p, steps)
        else:
            torch._foreach_addcdiv_(p, m, denom, value=-self.lr / c1)
        for t in p:
            t.grad = None

    def keep(self, members: torch.Tensor) -> None:
        self.m = {n: t[members] for n, t in self.m.items()}
        self.v = {n: t[members] for n, t in self.v.items()}
        if torch.is_tensor(self.lr):
            self.lr = self.lr[members]
        if torch.is_tensor(self.weight_decay):
            self.weight_decay = self.weight_decay[members]


def _members(values: torch.Tensor, params: list) -> list:
    """(k,) per-member values shaped to broadcast over each (k, ...) parameter."""
    return [values.reshape((-1,) + (1,) * (t.dim() - 1)) for t in params]
