"""The plans the modes use: one fit on all samples per repeat (or, cross-fitted, one per fold), and fits on gamma
disjoint subsets for every gamma (the subsample-and-extrapolate protocol). A plan is labels and FitSpecs, a function
of the number of samples, the options and the seed only, so every point of a scan (and both terms of a chain rule)
shares it."""

from __future__ import annotations

import numpy as np

from neuralmi.errors import InputError
from neuralmi.training.specs import FitSpec
from neuralmi.training.splits import blocked_folds, partition, split


def repeated_fits(n: int, options, seed: int, repeats: range) -> tuple[list[dict], list[FitSpec]]:
    """One fit on all n samples per repeat, each with its own split and initialisation (seeded by repeat only,
    so every point of a scan shares them)."""
    labels, specs = [], []
    for r in repeats:
        train, val = split(n, options, [seed, r])
        fit_seed = int(np.random.default_rng([seed, r]).integers(2**31))
        labels.append({"gamma": 1, "repeat": r, "subset": 0, "n_samples": n, "seed": fit_seed})
        specs.append(FitSpec(train, val, fit_seed))
    return labels, specs


def cross_fitted(n: int, options, seed: int, repeats: range) -> tuple[list[dict], list[FitSpec]]:
    """With `folds`, per repeat `folds` fits on all n samples whose held-out blocks partition them (labelled by
    `subset`, the fold), each with its own initialisation; without, `repeated_fits`. For time series (the blocked
    split's `n_validation_blocks` and `gap`)."""
    if options.folds is None:
        return repeated_fits(n, options, seed, repeats)
    labels, specs = [], []
    for r in repeats:
        for fold, (train, val) in enumerate(blocked_folds(n, options.folds, options.n_validation_blocks,
                                                          options.gap, [seed, r])):
            fit_seed = int(np.random.default_rng([seed, r, fold]).integers(2**31))
            labels.append({"gamma": 1, "repeat": r, "subset": fold, "n_samples": n, "seed": fit_seed})
            specs.append(FitSpec(train, val, fit_seed))
    return labels, specs


def subset_gammas(options) -> list[int]:
    """The gamma of each fit `subset_fits` plans, in plan order: every subset of every gamma, for each repeat."""
    return [g for g in sorted(options.gammas) for _ in range(options.repeats or 1) for _ in range(g)]


def subset_fits(n: int, options, seed: int) -> tuple[list[dict], list[FitSpec]]:
    """Every (gamma, repeat, subset) fit: its labels and its FitSpec.

    Subsets are contiguous when the split is blocked (time series) and random otherwise; each subset gets its
    own train/validation split of the same kind.
    """
    if options.split == "indices":
        raise InputError("split='indices' holds out the same samples in every fit; the subsample-and-extrapolate "
                         "plan (rigorous mode, and transfer and conditional modes' terms) splits each subset itself")
    labels, specs = [], []
    for gamma in sorted(options.gammas):
        for repeat in range(options.repeats or 1):
            subsets = partition(n, gamma, options.split == "blocked", [seed, gamma, repeat])
            for i, subset in enumerate(subsets):
                train, val = split(len(subset), options, [seed, gamma, repeat, i])
                fit_seed = int(np.random.default_rng([seed, gamma, repeat, i]).integers(2**31))
                labels.append({"gamma": gamma, "repeat": repeat, "subset": i, "n_samples": len(subset),
                               "seed": fit_seed})
                specs.append(FitSpec(subset[train], subset[val], fit_seed))
    return labels, specs
