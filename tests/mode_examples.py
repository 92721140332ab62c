"""A tiny run of every registered mode (data and options), for the tests that loop over all modes: each mode in
`neuralmi.analysis.modes.MODES` must have an entry here (tests/test_mode_contract.py checks it)."""

import neuralmi
from neuralmi.data.autoregression import coupled_autoregression
from neuralmi.data.conditional import gaussian_triplet
from neuralmi.data.generators import correlated_gaussian, dependent_pairs, lagged_pair, population
from neuralmi.data.networks import autoregressive_network, motif

GAUSS = correlated_gaussian(400, 2, 2, 1.0, seed=1)
EXAMPLES = {
    "estimate": (GAUSS, {}),
    "rigorous": (GAUSS, {"gammas": [1, 2, 3], "min_gammas": 2}),
    "sweep": (GAUSS, {"grid": {"hidden_dim": [8, 16]}}),
    "dimensionality": ((population(400, 6, latent_dim=2, seed=1), None), {"embedding_dims": [1, 2], "repeats": 1}),
    "lag": (lagged_pair(400, lag=1, seed=1), {"processor": "continuous", "lags": [0, 1]}),
    "transfer": (coupled_autoregression(400, coupling=0.8, seed=1), {"history": 1}),
    "conditional": (gaussian_triplet(400, case="partial", seed=1), {}),
    "pairwise": ((dependent_pairs(300, n_channels=3, pairs=[[0, 1]], seed=1), None), {}),
    "precision": (GAUSS, {"precisions": [0.1, 0.5], "processor": "continuous"}),
    "network": ((autoregressive_network(400, motif("chain", 3), 3, seed=1), None), {"history": 1, "folds": 2}),
}


def sides(name: str):
    """(x, y, z) of a mode's example (z None but in conditional mode)."""
    (x, y, *z), _ = EXAMPLES[name]
    return x, y, z[0] if z else None


def run_example(name: str, fast: dict, mode: str | None = None, **extra):
    """The example of mode `name` run with the fast options, its own and `extra`, at seed 3."""
    x, y, z = sides(name)
    return neuralmi.run(x, y, mode=mode or name, seed=3, z=z, **{**fast, **EXAMPLES[name][1], **extra})
