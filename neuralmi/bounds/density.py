"""Bounds on a density critic's learned q(y|x) and q(y): the difference of entropies, Barber-Agakov with a known
entropy of Y (and its hybrid with a contrastive correction), and the upper bounds CLUB and leave-one-out."""

from __future__ import annotations

import torch

from neuralmi.bounds.base import Bound, log_partition, valid_mean


class DensityBound(Bound):
    """A bound on a density critic, trained by maximum likelihood of q(y|x): the mean of the positive pairs'
    log q(y_i|x_i) (their - log q(y_i) is constant in training, the critic's penalty fits q(y))."""

    needs_density = True
    selects_on_densities = True

    def objective(self, scores, params, state):
        return torch.diagonal(scores, dim1=-2, dim2=-1).mean(-1)


class DifferenceOfEntropies(DensityBound):
    """H(Y) - H(Y|X) estimated by the two densities' cross-entropies: E[log q(y|x) - log q(y)]. Not a bound
    (each cross-entropy is above its entropy). Its gap is log E_{p(x)p(y)}[q(y|x) / q(y)], the amount by which it
    exceeds the Donsker-Varadhan lower bound of the same critic: about 0 for consistent densities; below 0 it lies
    under that lower bound, so it under-estimates the MI by at least that much; above 0 it may over-estimate the MI
    by up to that much."""

    direction = "none"

    def rows(self, stats, params, valid_rows):
        return stats.diag

    def gap(self, stats, params, valid_rows):
        return log_partition(stats.lme_off, valid_rows, False)


class BarberAgakov(DensityBound):
    """Barber-Agakov: H(Y) + E[log q(y|x)] with the entropy H(Y) known, a lower bound for any conditional density
    q(y|x) (short of the MI by E_x KL(p(y|x) || q(y|x))). Its gap is H(Y) + E[log q(y)]: the learned marginal's
    cross-entropy cannot be below the true entropy, so a gap clearly above 0 shows the given entropy too high,
    and the estimate too high by at least as much."""

    uses_off = False
    selects_on_densities = False

    def __init__(self, entropy: float):
        self.entropy = entropy

    def rows(self, stats, params, valid_rows):
        return stats.diag.double() + stats.log_marginal.double() + self.entropy

    def gap(self, stats, params, valid_rows):
        return valid_mean(stats.log_marginal.double() + self.entropy, valid_rows)


class HybridBarberAgakov(BarberAgakov):
    """Barber-Agakov plus a contrastive correction (the generalised importance-weighted bound of Brekelmans et
    al. 2022): H(Y) + E[log q(y|x)] + E[f(x, y) - log mean_k e^{f(x, y_k)}], the mean over the pair and K - 1
    draws y_k ~ q(.|x). A lower bound for any q and f; the correction, at most log K, recovers part of what
    q(y|x) misses, E_x KL(p(y|x) || q(y|x)) (`needs_proposals`: the critic's op "proposal")."""

    needs_proposals = True

    def rows(self, stats, params, valid_rows):
        return super().rows(stats, params, valid_rows) + stats.correction.double()


class _UpperBound(DensityBound):
    direction = "upper"

    def gap(self, stats, params, valid_rows):
        """How far it lies above the same critic's InfoNCE lower bound."""
        return -super().gap(stats, params, valid_rows)


class CLUB(_UpperBound):
    """Contrastive log-ratio upper bound: E_p[log q(y|x)] - E_{p(x)p(y)}[log q(y|x)] (row i: its positive minus
    the mean of its row's other scores)."""

    uses_mean = True

    def rows(self, stats, params, valid_rows):
        return stats.diag - stats.mean_off


class LeaveOneOut(_UpperBound):
    """Leave-one-out upper bound: E[log q(y_i|x_i) - log mean_{j != i} q(y_i|x_j)], the InfoNCE row term with the
    positive pair left out of its normaliser."""

    def rows(self, stats, params, valid_rows):
        return stats.diag - stats.lme_off
