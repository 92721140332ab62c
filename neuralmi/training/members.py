"""Each member of a stack: its critic (built at its own widths under its own seed, widened to the stack's), its own
Adam settings, and the moments that standardise its samples."""

from __future__ import annotations

import numpy as np
import torch

from neuralmi.nets.factory import make_critic
from neuralmi.training.specs import FitSpec

MEMBER_OPTIONS = ("embedding_dim", "learning_rate", "weight_decay")


def critic_builder(options, shape_x: tuple, shape_y: tuple, specs: list[FitSpec]):
    """build(m): member m's critic, at its own embedding size widened to the stack's (FitSpec.member_options)."""

    def build(m: int):
        width = specs[m].member_options.get("embedding_dim", options.embedding_dim)
        if width == options.embedding_dim:
            return make_critic(options, shape_x, shape_y)
        critic = make_critic(options.replace(embedding_dim=width), shape_x, shape_y).widened(options.embedding_dim)
        if critic is None:
            raise ValueError(f"critic {options.critic!r} with embedding {options.embedding!r} cannot be widened "
                             f"from {width} to {options.embedding_dim} dimensions")
        return critic

    return build


def widenable(options) -> set:
    """The MEMBER_OPTIONS that fits of one stack may differ in with these options: the Adam settings always,
    embedding_dim with the separable critic on a named embedding (hidden widths are not padded: hidden layers
    cost the square of their width, so a padded narrow fit would cost the widest's; benchmarks/results/scans.md)."""
    if options.critic != "separable" or not isinstance(options.embedding, str):
        return {"learning_rate", "weight_decay"}
    return set(MEMBER_OPTIONS)


def per_member(options, specs: list[FitSpec], name: str, device):
    """options' `name` for every member, a (k,) tensor, when some spec sets its own; else the plain number."""
    if not any(name in s.member_options for s in specs):
        return getattr(options, name)
    return torch.tensor([float(s.member_options.get(name, getattr(options, name))) for s in specs], device=device)


def moments(data: torch.Tensor, idx: np.ndarray, standardize: bool):
    """Per-feature mean and std of the training samples, shaped to broadcast over (B, ...) batches."""
    shape = (1,) * (data.dim() - 1) + (data.shape[-1],)
    if not standardize:
        return torch.zeros(shape, device=data.device), torch.ones(shape, device=data.device)
    sub = data[torch.as_tensor(idx, device=data.device)].double()
    dims = tuple(range(data.dim() - 1))
    std = sub.std(dims)
    std = torch.where(std > 0, std, torch.ones_like(std))
    return sub.mean(dims).float().reshape(shape), std.float().reshape(shape)
