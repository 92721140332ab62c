"""A stack of k independent critics of one architecture, run as one vectorised model.

Parameters of all members are stacked along a leading axis and every call is `torch.func.vmap` over the
critic with each member's tensors put in place of its parameters and buffers (what `functional_call` does,
minus its per-call bookkeeping), so k small models train in one pass; member m is initialised exactly as a
lone model built after `torch.manual_seed(seeds[m])`. The common separable critic on MLP embeddings skips
vmap and runs as batched matrix products (nets/batched.py).
"""

from __future__ import annotations

import copy

import torch
from torch.func import stack_module_state, vmap

from neuralmi.nets.batched import BatchedSeparable


def _slots(module: torch.nn.Module) -> list[tuple[dict, str, str]]:
    """(owning dict, attribute, stacked name) of every parameter and buffer, tied aliases included."""
    slots = []
    for kind, named in (("_parameters", module.named_parameters), ("_buffers", module.named_buffers)):
        canonical = {id(t): name for name, t in named()}
        for name, t in named(remove_duplicate=False):
            path, _, attr = name.rpartition(".")
            slots.append((getattr(module.get_submodule(path), kind), attr, canonical[id(t)]))
    return slots


class ModelStack:
    """k critics with stacked parameters (`params`, a dict of (k, ...) leaf tensors)."""

    def __init__(self, build, seeds, device):
        members = []
        for m, seed in enumerate(seeds):
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(int(seed))
                members.append(build(m).to(device))
        params, buffers = stack_module_state(members)
        self.params = {name: p.detach().clone().requires_grad_(True) for name, p in params.items()}
        self.buffers = buffers
        self.base = copy.deepcopy(members[0]).to("meta")
        self.slots = _slots(self.base)
        self.batched = BatchedSeparable.of(self.base)
        self.noise_dim = members[0].noise_dim
        self.pair_width = members[0].pair_width()
        self.member_floats = sum(t.numel() for t in members[0].parameters())

    def __len__(self):
        return next(iter(self.params.values())).shape[0]

    def call(self, op: str, a, b, tensors=None, noise_x=None, noise_y=None):
        """Run `op` (see nets/critics.py; "score": "pair" of the "encode"d inputs, every x against every y) for
        every member on per-member inputs (k, ...), with the stack's weights or the stacked `tensors` given
        (parameters and buffers by name, of as many members as the inputs)."""
        if tensors is None:
            tensors = {**self.params, **self.buffers}
        if self.batched is not None:
            return self.batched(op, tensors, a, b)

        def one(member, a_m, b_m, nx, ny):
            saved = [(owner, attr, owner[attr]) for owner, attr, _ in self.slots]
            for owner, attr, name in self.slots:
                owner[attr] = member[name]
            try:
                if op == "score":
                    return self.base(*self.base(a_m, b_m, op="encode"), op="pair")
                return self.base(a_m, b_m, op=op, noise_x=nx, noise_y=ny)
            finally:
                for owner, attr, t in saved:
                    owner[attr] = t

        noise_dims = 0 if noise_x is not None else None
        return vmap(one, in_dims=(0, 0, 0, noise_dims, noise_dims))(tensors, a, b, noise_x, noise_y)

    def keep(self, members: torch.Tensor) -> None:
        """Drop every member not listed (stopped fits leave the stack)."""
        self.params = {n: p.detach()[members].clone().requires_grad_(True) for n, p in self.params.items()}
        self.buffers = {n: v[members] for n, v in self.buffers.items()}
