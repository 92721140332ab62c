"""Density critics: a learned conditional density q(y|x) and marginal density q(y), scored as their log ratio.

The generative and upper-bound estimators (difference of entropies, CLUB, leave-one-out) need densities, not
just scores; any bound can still score a density critic, whose s(x, y) = log q(y|x) - log q(y) is a valid
critic. Score matrices of a density critic have one row per y sample and one column per x sample:
s[i, j] = log q(y_i | x_j) - log q(y_i), so that the row statistics the trainer streams (a row's positive
pair and its mean over the others) hold the leave-one-out normaliser sum_j q(y_i | x_j). `encode` returns the
y side first for this reason; the positive pairs stay on the diagonal.

Both densities are a flow on Y followed by a simple base: q(y|x) = b(f(y) | x) |det df/dy| with b a diagonal
Gaussian, or a mixture of `mixture_components` of them, whose parameters an embedding of x gives; q(y) the
same with its own flow and a base with learned parameters (a mixture starts close to N(0, I), where the
standardised data are: one that starts far off lags the conditional density for many epochs). The flow is a
learned triangular affine map (a full-covariance Gaussian with mixture_components 1: the "gaussian" critic)
after `flow_layers` affine coupling layers ("flow"). Because the flow acts on y alone and x enters only the base, every pair's score is
a Gaussian density of precomputed vectors: n^2 d work per n x n matrix, like a separable critic. The marginal
density's log-likelihood is the critic's training penalty (maximum likelihood); the conditional one is trained
by the bound's objective (maximum likelihood for the density bounds). Op "marginal" gives log q(y) per sample:
the trainer stops and selects density bounds on the two densities' held-out log-likelihood. `sample` draws
from q(y|x) by inverting the flow; the hybrid bound's `ProposalCritic` adds a separable critic that contrasts each
positive pair with such draws.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from neuralmi.errors import InputError
from neuralmi.nets.critics import Critic, SeparableCritic
from neuralmi.nets.embeddings import make_embedding, mlp

LOG_SCALE_RANGE = (-7.0, 5.0)
COUPLING_SCALE = 2.0
MIXTURE_SPREAD = 0.1


class Triangular(nn.Module):
    """z = L (y - m) with L lower triangular, positive diagonal; starts as the identity."""

    def __init__(self, dim: int):
        super().__init__()
        self.shift = nn.Parameter(torch.zeros(dim))
        self.lower = nn.Parameter(torch.zeros(dim, dim))
        self.log_diagonal = nn.Parameter(torch.zeros(dim))

    def _matrix(self):
        return torch.tril(self.lower, -1) + torch.diag(torch.exp(self.log_diagonal))

    def forward(self, y):
        return (y - self.shift) @ self._matrix().transpose(0, 1), self.log_diagonal.sum().expand(y.shape[:-1])

    def inverse(self, z):
        solved = torch.linalg.solve_triangular(self._matrix(), z.unsqueeze(-1), upper=False).squeeze(-1)
        return solved + self.shift


class Coupling(nn.Module):
    """Affine coupling: the features not in `mask` are scaled and shifted by a network of those in it; the
    scale's log is bounded by COUPLING_SCALE (tanh); starts as the identity."""

    def __init__(self, dim: int, mask: torch.Tensor, options):
        super().__init__()
        self.register_buffer("mask", mask)
        self.net = mlp(dim, 2 * dim, options.hidden_dim, options.n_layers, options.activation)
        last = self.net[-1]
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)

    def _scale_shift(self, kept):
        log_scale, shift = self.net(kept).chunk(2, -1)
        return COUPLING_SCALE * torch.tanh(log_scale / COUPLING_SCALE) * (1 - self.mask), shift

    def forward(self, y):
        kept = y * self.mask
        log_scale, shift = self._scale_shift(kept)
        z = kept + (1 - self.mask) * (y * torch.exp(log_scale) + shift)
        return z, log_scale.sum(-1)

    def inverse(self, z):
        kept = z * self.mask
        log_scale, shift = self._scale_shift(kept)
        return kept + (1 - self.mask) * ((z - shift) * torch.exp(-log_scale))


class Flow(nn.Module):
    """`layers` affine couplings (alternating halves of the features) and a triangular affine map."""

    def __init__(self, dim: int, layers: int, options):
        super().__init__()
        half = torch.arange(dim) < dim // 2
        self.couplings = nn.ModuleList(Coupling(dim, (half if i % 2 == 0 else ~half).float(), options)
                                       for i in range(layers))
        self.linear = Triangular(dim)

    def forward(self, y):
        log_det = y.new_zeros(y.shape[:-1])
        for layer in self.couplings:
            y, part = layer(y)
            log_det = log_det + part
        z, part = self.linear(y)
        return z, log_det + part

    def inverse(self, z):
        y = self.linear.inverse(z)
        for layer in reversed(self.couplings):
            y = layer.inverse(y)
        return y


def _log_scale(raw):
    return raw.clamp(*LOG_SCALE_RANGE)


def mixture_log_density(z, log_weights, means, log_scales):
    """log sum_k w_k N(z; mu_k, diag sigma_k^2) for z (..., d) against components (..., K, d), broadcast."""
    scaled = (z.unsqueeze(-2) - means) * torch.exp(-log_scales)
    per_component = -0.5 * (scaled**2).sum(-1) - log_scales.sum(-1) - 0.5 * z.shape[-1] * math.log(2 * math.pi)
    return torch.logsumexp(log_weights + per_component, -1)


class DensityCritic(Critic):
    """s(x, y) = log q(y|x) - log q(y) (module docstring); rows of its score matrices are y samples."""

    def __init__(self, options, shape_x, shape_y, flow_layers: int):
        super().__init__()
        self.dim = int(torch.tensor(shape_y).prod())
        if flow_layers and self.dim < 2:
            raise InputError("critic 'flow': Y has 1 feature, and a coupling layer needs at least 2; use critic "
                             "'gaussian' (with mixture_components > 1 for a non-Gaussian 1-D density)")
        self.k = options.mixture_components
        self.g = make_embedding(options, shape_x, self.k * (2 * self.dim + 1))
        self.conditional_flow = Flow(self.dim, flow_layers, options)
        self.marginal_flow = Flow(self.dim, flow_layers, options)
        self.marginal_logits = nn.Parameter(torch.zeros(self.k))
        self.marginal_means = nn.Parameter(torch.randn(self.k, self.dim) * (MIXTURE_SPREAD if self.k > 1 else 0.0))
        self.marginal_log_scales = nn.Parameter(torch.zeros(self.k, self.dim))

    def log_marginal(self, y):
        """log q(y) per sample."""
        z, log_det = self.marginal_flow(y.flatten(1))
        weights = torch.log_softmax(self.marginal_logits, -1)
        return mixture_log_density(z, weights, self.marginal_means, _log_scale(self.marginal_log_scales)) + log_det

    def encode_y(self, y, detach_marginal: bool = False):
        """Per y sample: its conditional flow's output and log|det| minus log q(y) (d + 1 values; log q(y) held
        constant with detach_marginal), and log q(y)."""
        z, log_det = self.conditional_flow(y.flatten(1))
        marginal = self.log_marginal(y)
        subtracted = marginal.detach() if detach_marginal else marginal
        return torch.cat([z, (log_det - subtracted).unsqueeze(-1)], -1), marginal

    def encode_x(self, x):
        return self.g(x)

    def forward(self, a, b, op: str = "train", noise_x=None, noise_y=None):
        if op == "encode":
            return self.encode_y(b)[0], self.encode_x(a)
        if op == "pair":
            return self.pair(a, b)
        if op == "marginal":
            return self.log_marginal(b)
        rows, marginal = self.encode_y(b, detach_marginal=True)
        return self.pair(rows, self.encode_x(a)), -marginal.mean()

    def pair(self, ey, ex):
        """Scores (n_y, n_x) of y-side rows `ey` against x-side parameters `ex`."""
        k, d = self.k, self.dim
        logits, means, log_scales = ex.split([k, k * d, k * d], -1)
        means, log_scales = means.unflatten(-1, (k, d)), _log_scale(log_scales.unflatten(-1, (k, d)))
        z = ey[..., :d].unsqueeze(-2)
        return mixture_log_density(z, torch.log_softmax(logits, -1), means, log_scales) + ey[..., d:]

    def pair_width(self):
        return 3 * self.k * (self.dim + 1)

    def sample(self, ex, normals, gumbel):
        """Draws from q(y|x) (flattened y) for x-side parameters `ex` (n, width): normals (n, m, d) and standard
        Gumbel noise (n, m, k) give m draws per x (a component by the Gumbel-max trick, the base Gaussian, the
        flow inverted)."""
        k, d = self.k, self.dim
        logits, means, log_scales = ex.split([k, k * d, k * d], -1)
        means, log_scales = means.unflatten(-1, (k, d)), _log_scale(log_scales.unflatten(-1, (k, d)))
        chosen = (torch.log_softmax(logits, -1).unsqueeze(-2) + gumbel).argmax(-1, keepdim=True)
        pick = (chosen == torch.arange(k, device=ex.device)).to(ex.dtype)
        z = pick @ means + torch.exp(pick @ log_scales) * normals
        return self.conditional_flow.inverse(z)


class ProposalCritic(Critic):
    """A density critic with a second, separable critic f that corrects its conditional density: each positive
    pair is scored by f against `proposal_samples - 1` draws from q(.|x) (op "proposal", per sample
    f(x, y) - log mean_k e^{f(x, y_k)} over the pair and the draws, at most log K). The draws take the
    critic's noise (normals for the base Gaussian, then normals mapped to Gumbel noise for the component) and are
    held constant: q trains by maximum likelihood, f by this contrastive term, added to the training penalty."""

    def __init__(self, density: DensityCritic, options, shape_x, shape_y):
        super().__init__()
        self.density = density
        self.f = SeparableCritic(options, shape_x, shape_y)
        self.shape_y = tuple(shape_y)
        self.draws = options.proposal_samples - 1
        self.noise_dim = self.draws * (density.dim + density.k)

    def forward(self, a, b, op: str = "train", noise_x=None, noise_y=None):
        if op == "proposal":
            return self.correction(a, b, noise_x)
        scores = self.density(a, b, op)
        if op != "train":
            return scores
        pairs, penalty = scores
        return pairs, penalty - self.correction(a, b, noise_x).mean()

    def correction(self, x, y, noise):
        """Per sample, the contrastive term of f on (x_i, y_i) against its draws from q(.|x_i)."""
        n, m, d = x.shape[0], self.draws, self.density.dim
        normals = noise[:, : m * d].unflatten(-1, (m, d))
        uniforms = torch.special.ndtr(noise[:, m * d :].double())
        gumbel = -torch.log(-torch.log(uniforms)).to(noise.dtype).unflatten(-1, (m, self.density.k))
        with torch.no_grad():
            drawn = self.density.sample(self.density.encode_x(x), normals, gumbel)
        ex = self.f.encode_x(x).unsqueeze(-2)
        positive = self.f.pair(ex, self.f.encode_y(y).unsqueeze(-2)).flatten(1)
        negatives = self.f.pair(ex, self.f.encode_y(drawn.reshape(n * m, *self.shape_y)).unflatten(0, (n, m)))
        scores = torch.cat([positive, negatives.flatten(1)], -1)
        return positive.squeeze(-1) - torch.logsumexp(scores, -1) + math.log(m + 1)

    def pair_width(self):
        return self.density.pair_width()


def gaussian_critic(options, shape_x, shape_y):
    return DensityCritic(options, shape_x, shape_y, 0)


def flow_critic(options, shape_x, shape_y):
    return DensityCritic(options, shape_x, shape_y, options.flow_layers)

