"""run() is plan -> train -> summarise; training the plan's fits in separate pieces gives the same numbers."""

import pandas as pd

import neuralmi
from neuralmi.analysis.fits import FIT_COLUMNS, PLAN_COLUMNS
from neuralmi.api import plan, source, summarise, train
from neuralmi.data.generators import correlated_gaussian
from neuralmi.options import make_options

OPTIONS = {"gammas": [1, 2, 3], "min_gammas": 2, "max_epochs": 10, "hidden_dim": 16, "embedding_dim": 4}


def test_fits_trained_one_by_one_equal_run():
    """Bit for bit on CPU (GPU libraries may round batched products differently for different batch counts)."""
    x, y = correlated_gaussian(900, 2, 2, 1.0, seed=0)
    whole = neuralmi.run(x, y, mode="rigorous", seed=5, device="cpu", **OPTIONS)
    options = make_options({**OPTIONS, "device": "cpu"})
    src = source(x, y, options)
    table = plan(src, "rigorous", options, seed=5)
    assert list(table.columns) == PLAN_COLUMNS and len(table) == 6
    pieces = [train(src, table.iloc[[i]], "rigorous", options, 5, "bits") for i in reversed(range(len(table)))]
    fits, curves = (pd.concat(p, ignore_index=True) for p in zip(*pieces))
    apart = summarise("rigorous", fits, curves, options, "bits")
    assert list(apart.fits.columns) == FIT_COLUMNS
    assert (apart.mi, apart.ci_low, apart.ci_high) == (whole.mi, whole.ci_low, whole.ci_high)
    cols = [c for c in FIT_COLUMNS if c != "seconds"]
    pd.testing.assert_frame_equal(apart.fits[cols], whole.fits[cols])
