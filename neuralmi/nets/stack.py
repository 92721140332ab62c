"""A stack of k independent critics of one architecture, run as one vectorised model.

Parameters of all members are stacked along a leading axis and every call is `torch.func.vmap` over
`functional_call`, so k small models train in one pass; member m is initialised exactly as a lone model
built after `torch.manual_seed(seeds[m])`.
"""

from __future__ import annotations

import copy

import torch
from torch.func import functional_call, stack_module_state, vmap


class ModelStack:
    """k critics with stacked parameters (`params`, a dict of (k, ...) leaf tensors)."""

    def __init__(self, build, seeds, device):
        members = []
        for seed in seeds:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(int(seed))
                members.append(build().to(device))
        params, buffers = stack_module_state(members)
        self.params = {name: p.detach().clone().requires_grad_(True) for name, p in params.items()}
        self.buffers = buffers
        self.base = copy.deepcopy(members[0]).to("meta")
        self.noise_dim = members[0].noise_dim
        self.pair_width = members[0].pair_width()

    def __len__(self):
        return next(iter(self.params.values())).shape[0]

    def call(self, op: str, a, b, members=None, noise_x=None, noise_y=None):
        """Run `op` (see nets/critics.py) for every member (or the listed ones) on per-member inputs (k, ...)."""
        params, buffers = self.params, self.buffers
        if members is not None:
            params = {name: p[members] for name, p in params.items()}
            buffers = {name: v[members] for name, v in buffers.items()}

        def one(p, bf, a_m, b_m, nx, ny):
            return functional_call(self.base, (p, bf), (a_m, b_m), {"op": op, "noise_x": nx, "noise_y": ny})

        noise_dims = 0 if noise_x is not None else None
        return vmap(one, in_dims=(0, 0, 0, 0, noise_dims, noise_dims))(params, buffers, a, b, noise_x, noise_y)

    def keep(self, members: torch.Tensor) -> None:
        """Drop every member not listed (stopped fits leave the stack)."""
        self.params = {n: p.detach()[members].clone().requires_grad_(True) for n, p in self.params.items()}
        self.buffers = {n: v[members] for n, v in self.buffers.items()}
