"""`run`: the one entry point, used the same way from a notebook, the CLI and the workflow."""

from __future__ import annotations

from neuralmi.analysis import estimate, rigorous
from neuralmi.analysis.result import MIResult
from neuralmi.data.arrays import as_pair, rank_gaussianize
from neuralmi.errors import InputError
from neuralmi.nets.embeddings import sample_ndim
from neuralmi.options import make_options
from neuralmi.units import check_units

MODES = {"estimate": estimate.run, "rigorous": rigorous.run}


def run(x, y, mode: str = "estimate", units: str = "bits", seed: int = 0, **options) -> MIResult:
    """Estimate I(X; Y) from paired samples.

    x, y: arrays of shape (n_samples, n_features) (windows (n_samples, window, channels) for cnn/gru
    embeddings). mode: "estimate" (one fit) or "rigorous" (subsample-and-extrapolate bias correction).
    units: "bits" or "nats". seed: fixes every random choice. options: see `neuralmi.options.load_schema()`.
    """
    if mode not in MODES:
        raise InputError(f"mode: expected one of {sorted(MODES)}, found {mode!r}")
    check_units(units)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed: expected a non-negative integer, found {seed!r}")
    opts = make_options(options)
    ndim = sample_ndim(opts)
    x, y = as_pair(x, y, ndim, ndim)
    if opts.rank_transform:
        x, y = rank_gaussianize(x), rank_gaussianize(y)
    return MODES[mode](x, y, opts, seed, units)
