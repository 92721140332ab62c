"""Critics: score every (x_i, y_j) pair of a batch.

A critic is encoders for each side plus a pair head, so that held-out score matrices can be built in row
blocks from embeddings computed once. All calls go through `forward(a, b, op, ...)` so a stack of critics
can be run with torch.func (see nets/stack.py):

* op="train": a, b are x, y batches (B, ...); returns scores (B, B) and a regulariser (scalar).
* op="encode": a, b are x, y samples; returns their embeddings (deterministic).
* op="pair": a, b are x- and y-embeddings (b, e), (n, e); returns scores (b, n).

Critics are built by name in nets/factory.py.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from neuralmi.nets.embeddings import make_embedding, mlp, output_layer


class Critic(nn.Module):
    """Base: subclasses set the encoders `g` (for x) and `h` (for y) and define `pair`."""

    noise_dim = 0

    def encode_x(self, x):
        return self.g(x)

    def encode_y(self, y):
        return self.h(y)

    def forward(self, a, b, op: str = "train", noise_x=None, noise_y=None):
        if op == "encode":
            return self.encode_x(a), self.encode_y(b)
        if op == "pair":
            return self.pair(a, b)
        return self.pair(self.encode_x(a), self.encode_y(b)), a.new_zeros(())

    def pair_width(self) -> int:
        """Floats held per scored pair, used to size evaluation blocks."""
        return 1

    def widened(self, width: int) -> Critic | None:
        """The same critic with `width` embedding dimensions, where that can be built (see SeparableCritic)."""
        return None


class SeparableCritic(Critic):
    """s(x, y) = g(x) . h(y), plus u(x) + v(y) with marginal_terms.

    The marginal terms are one extra output of each embedding. They carry no dependence between x and y, so
    with them embedding_dim counts only the dimensions of the interaction (the log density ratio of a
    d-dimensional dependence has a rank-d cross term plus terms in x alone and y alone).
    With learned_scale, every score is multiplied by e^t, t one trained scalar starting at 0: a sharp
    dependence needs large scores, which Adam grows slowly through the output weights (at most learning_rate a
    step each) and quickly through t (multiplicatively).
    """

    marginal = False

    def __init__(self, options, shape_x, shape_y):
        super().__init__()
        self.marginal = bool(options.marginal_terms)
        width = options.embedding_dim + self.marginal
        self.g = make_embedding(options, shape_x, width)
        self.h = make_embedding(options, shape_y, width)
        self.log_scale = nn.Parameter(torch.zeros(())) if options.learned_scale else None

    def pair(self, ex, ey):
        scores = self.unscaled(ex, ey)
        return scores if self.log_scale is None else scores * self.log_scale.exp()

    def unscaled(self, ex, ey):
        """The scores before the learned scale."""
        if not self.marginal:
            return ex @ ey.transpose(-1, -2)
        return ex[..., :-1] @ ey[..., :-1].transpose(-1, -2) + ex[..., -1:] + ey[..., -1].unsqueeze(-2)

    def widened(self, width: int) -> SeparableCritic | None:
        """This critic with `width` interaction dimensions, or None when an embedding's output layer is unknown
        (a user module or factory).

        Zero rows are inserted into both embeddings' output layers (before the marginal output): the added
        dimensions output exactly 0, so every score is the narrow critic's (up to the summation order of the
        zero products), and each added row's gradient is the other side's zero output times an activation,
        exactly 0, so Adam (and weight decay) leave it 0: trained, it stays the narrow critic.
        """
        wide = copy.deepcopy(self)
        for embedding in (wide.g, wide.h):
            name = output_layer(embedding)
            if name is None:
                return None
            layer = embedding.get_submodule(name)
            keep = layer.out_features - self.marginal
            rows = list(range(keep)) + [width + self.marginal - 1] * self.marginal
            embedding.set_submodule(name, _placed(layer, width + self.marginal, rows))
        return wide


class _PairHead(Critic):
    """Scores pairs with a network on the concatenated pair of (embedded) samples."""

    def __init__(self, options, in_dim):
        super().__init__()
        self.head = mlp(in_dim, 1, options.hidden_dim, options.n_layers, options.activation)
        self.width = max(options.hidden_dim, in_dim)

    def pair(self, ex, ey):
        n_x, n_y = ex.shape[-2], ey.shape[-2]
        grid = torch.cat(
            [ex.unsqueeze(-2).expand(n_x, n_y, ex.shape[-1]), ey.unsqueeze(-3).expand(n_x, n_y, ey.shape[-1])], -1
        )
        return self.head(grid).squeeze(-1)

    def pair_width(self):
        return self.width


class JointCritic(_PairHead):
    """s(x, y) = f([x, y]): one network on every concatenated pair (cost grows with the pairs)."""

    def __init__(self, options, shape_x, shape_y):
        super().__init__(options, _size(shape_x) + _size(shape_y))
        self.g, self.h = nn.Flatten(), nn.Flatten()


class HybridCritic(_PairHead):
    """s(x, y) = f([g(x), h(y)]): embeddings first, then a small network on each pair of embeddings."""

    def __init__(self, options, shape_x, shape_y):
        super().__init__(options, 2 * options.embedding_dim)
        self.g = make_embedding(options, shape_x, options.embedding_dim)
        self.h = make_embedding(options, shape_y, options.embedding_dim)


class ProbabilisticCritic(SeparableCritic):
    """Separable critic on Gaussian embeddings q(z|x) = N(mu(x), diag(sigma^2(x))).

    Training scores reparameterised samples and adds kl_weight * KL(q(z|.) || N(0, I)) for both sides;
    evaluation scores the means.
    """

    def __init__(self, options, shape_x, shape_y):
        nn.Module.__init__(self)
        self.g = make_embedding(options, shape_x, 2 * options.embedding_dim)
        self.h = make_embedding(options, shape_y, 2 * options.embedding_dim)
        self.log_scale = None
        self.noise_dim = options.embedding_dim
        self.kl_weight = options.kl_weight

    def widened(self, width):
        return None

    def encode_x(self, x):
        return self.g(x).chunk(2, -1)[0]

    def encode_y(self, y):
        return self.h(y).chunk(2, -1)[0]

    def forward(self, a, b, op="train", noise_x=None, noise_y=None):
        if op != "train":
            return super().forward(a, b, op)
        zx, kl_x = _sample(self.g(a), noise_x)
        zy, kl_y = _sample(self.h(b), noise_y)
        return self.pair(zx, zy), self.kl_weight * (kl_x + kl_y)


class ShiftedCritic(Critic):
    """Any critic with FLO's second network u(x, y): an MLP on the flattened pair, run on aligned pairs only (op
    "shift": u(a_i, b_i) per sample); every other op is the critic's own."""

    def __init__(self, critic: Critic, options, shape_x, shape_y):
        super().__init__()
        self.critic = critic
        self.u = mlp(_size(shape_x) + _size(shape_y), 1, options.hidden_dim, options.n_layers, options.activation)
        self.noise_dim = critic.noise_dim

    def forward(self, a, b, op: str = "train", noise_x=None, noise_y=None):
        if op == "shift":
            return self.u(torch.cat([a.flatten(1), b.flatten(1)], -1)).squeeze(-1)
        return self.critic(a, b, op, noise_x, noise_y)

    def pair_width(self):
        return self.critic.pair_width()

    def widened(self, width):
        critic = self.critic.widened(width)
        if critic is None:
            return None
        wide = copy.deepcopy(self)
        wide.critic = critic
        return wide


def _placed(layer: nn.Linear, n_out: int, rows: list[int]) -> nn.Linear:
    """A zero Linear with `n_out` outputs holding `layer`'s weights and biases in output rows `rows`."""
    if n_out < layer.out_features:
        raise ValueError(f"cannot narrow a layer of {layer.out_features} outputs to {n_out}")
    out = nn.Linear(layer.in_features, n_out, device=layer.weight.device, dtype=layer.weight.dtype)
    with torch.no_grad():
        out.weight.zero_()
        out.bias.zero_()
        out.weight[rows] = layer.weight
        out.bias[rows] = layer.bias
    return out


def _sample(stats, noise):
    mean, log_var = stats.chunk(2, -1)
    log_var = log_var.clamp(-10.0, 10.0)
    z = mean + torch.exp(0.5 * log_var) * noise
    kl = 0.5 * (mean**2 + log_var.exp() - 1.0 - log_var).sum(-1).mean()
    return z, kl


def _size(shape) -> int:
    return int(torch.tensor(shape).prod())
