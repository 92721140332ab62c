"""The common critic, a separable critic on MLP embeddings, run directly on stacked weights.

`torch.func.vmap` runs any critic as a stack but adds a per-operation cost that dominates small models; for
this critic the stacked forward pass is a few batched matrix products (bias added inside the product), with
the same parameters (the names `stack_module_state` gives) and a lone model's arithmetic up to rounding.
"""

from __future__ import annotations

import torch
from torch import nn

from neuralmi.nets.critics import SeparableCritic, ShiftedCritic
from neuralmi.nets.embeddings import ACTIVATIONS, MLPEmbedding


def _mlp_steps(embedding: nn.Module, prefix: str) -> list | None:
    """The layers of an MLP embedding as (weight name, bias name) pairs and activation modules; None if the
    embedding is anything else."""
    if type(embedding) is not MLPEmbedding:
        return None
    return _layer_steps(embedding.net, f"{prefix}.net")


def _layer_steps(net: nn.Sequential, prefix: str) -> list | None:
    """The steps of a sequence of linear layers and activations; None if it holds anything else."""
    steps = []
    for i, layer in enumerate(net):
        if type(layer) is nn.Linear:
            steps.append((f"{prefix}.{i}.weight", f"{prefix}.{i}.bias"))
        elif type(layer) in ACTIVATIONS.values():
            steps.append(layer)
        else:
            return None
    return steps


class BatchedSeparable:
    """Forward passes of k stacked separable critics with MLP embeddings (and FLO's second network, an MLP on
    the pair), on inputs (k, n, ...)."""

    def __init__(self, critic: SeparableCritic, steps_x: list, steps_y: list, steps_u: list | None = None,
                 prefix: str = ""):
        self.critic, self.steps_x, self.steps_y, self.steps_u = critic, steps_x, steps_y, steps_u
        self.scale = None if critic.log_scale is None else f"{prefix}log_scale"

    @classmethod
    def of(cls, critic: nn.Module) -> BatchedSeparable | None:
        """The batched form of `critic`, or None when it is not a plain separable critic on MLP embeddings (alone
        or with FLO's network)."""
        prefix, steps_u = "", None
        if type(critic) is ShiftedCritic:
            prefix, steps_u, critic = "critic.", _layer_steps(critic.u, "u"), critic.critic
            if steps_u is None:
                return None
        if type(critic) is not SeparableCritic:
            return None
        steps_x, steps_y = _mlp_steps(critic.g, f"{prefix}g"), _mlp_steps(critic.h, f"{prefix}h")
        return None if steps_x is None or steps_y is None else cls(critic, steps_x, steps_y, steps_u, prefix)

    def _pair(self, tensors: dict, ex: torch.Tensor, ey: torch.Tensor) -> torch.Tensor:
        """Each member's scores (k, b, n), times its learned scale where the critic has one."""
        scores = self.critic.unscaled(ex, ey)
        return scores if self.scale is None else scores * tensors[self.scale].exp()[:, None, None]

    def __call__(self, op: str, tensors: dict, a: torch.Tensor, b: torch.Tensor):
        if op == "pair":
            return self._pair(tensors, a, b)
        if op == "shift":
            return _run(self.steps_u, tensors, torch.cat([a.flatten(2), b.flatten(2)], -1)).squeeze(-1)
        ex, ey = _run(self.steps_x, tensors, a), _run(self.steps_y, tensors, b)
        if op == "encode":
            return ex, ey
        scores = self._pair(tensors, ex, ey)
        return scores if op == "score" else (scores, scores.new_zeros(scores.shape[0]))


def _run(steps: list, tensors: dict, x: torch.Tensor) -> torch.Tensor:
    """The steps on inputs (k, n, ...). A layer with one input or one output is a broadcast product (summed over
    the inputs): batched products with a dimension of one round differently for different member counts on some
    CPUs (measured: AVX-512 Xeons), and a member's numbers must not depend on its stack."""
    h = x.flatten(2)
    for step in steps:
        if isinstance(step, tuple):
            weight, bias = tensors[step[0]], tensors[step[1]]
            if weight.shape[2] == 1:
                h = h * weight.transpose(1, 2) + bias.unsqueeze(1)
            elif weight.shape[1] == 1:
                h = (h * weight).sum(-1, keepdim=True) + bias.unsqueeze(1)
            else:
                h = torch.baddbmm(bias.unsqueeze(1), h, weight.transpose(1, 2))
        else:
            h = step(h)
    return h
