"""Precision mode: the measured precision grows with the generator's timing jitter; the trainer's probes leave
the fit unchanged; perturbations; the rank transform fitted on clean rows; errors."""

import numpy as np
import pytest

import neuralmi
from neuralmi.analysis.modes.precision import _crossing, _perturb
from neuralmi.data.arrays import rank_gaussianize
from neuralmi.data.generators import correlated_gaussian, timed_spikes
from neuralmi.data.recordings import Sampled, SpikeTrains
from neuralmi.errors import InputError
from neuralmi.options import make_options
from neuralmi.training.specs import FitSpec
from neuralmi.training.trainer import train_fits

SPIKES = {"processor_x": {"processor": "spikes", "spike_encoding": "times"}, "processor_y": "continuous",
          "sample_rate": 100, "window_size": 0.2, "threads": 2}
PRECISIONS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05]


def test_precision_grows_with_the_timing_jitter_of_the_code():
    """Jitter 2 ms and 20 ms (one spike per neuron per window, its time set by a latent): measured 1.38 [1.06, 1.79]
    ms and 5.3 [4.3, 6.6] ms (data seed 1)."""
    results = {}
    for sigma in (0.002, 0.02):
        spikes, y = timed_spikes(duration=200, window=0.2, jitter=sigma, seed=1)
        results[sigma] = neuralmi.run(spikes, y, mode="precision", precisions=PRECISIONS, seed=0, **SPIKES)
    fine, coarse = (results[s].details for s in (0.002, 0.02))
    assert fine["precision_ci"][1] < coarse["precision_ci"][0]
    assert 0.0005 < fine["precision"] < 0.005 and 0.002 < coarse["precision"] < 0.02
    frame = results[0.02].to_frame()
    assert list(frame["precision"]) == [0.0] + PRECISIONS and frame["fraction"].iloc[0] == 1.0
    assert results[0.02].reliable and results[0.02].finding.startswith("precision 0.00")
    assert results[0.02].plot().axes


def test_probes_leave_the_fit_unchanged():
    x, y = (a.astype(np.float32) for a in correlated_gaussian(800, 1, 1, 1.0, seed=0))
    noisy = y + np.random.default_rng(5).normal(0, 2, y.shape).astype(np.float32)
    xs, ys = np.concatenate([x, x]), np.concatenate([y, noisy])
    order = np.random.default_rng(0).permutation(800)
    train, val = order[:600], order[600:]
    options = make_options({"max_epochs": 15, "hidden_dim": 16})
    plain = train_fits(xs, ys, [FitSpec(train, val, 3)], options)[0]
    probed = train_fits(xs, ys, [FitSpec(train, val, 3, probes=(val, val + 800))], options)[0]
    assert plain.val_mi == probed.val_mi and plain.best_epoch == probed.best_epoch and plain.probe_mi is None
    assert probed.probe_mi[0] == pytest.approx(probed.val_mi) and probed.probe_mi[1] < probed.val_mi
    with pytest.raises(ValueError, match="probe"):
        train_fits(xs, ys, [FitSpec(train, val, 3, probes=(val[:5],))], options)


def test_perturbations():
    trains = SpikeTrains((np.array([1.0, 4.6, 9.7]),), n_ticks=10.0)
    source = type("S", (), {"ticks_per_unit": 1.0, "n_ticks": 10.0})()
    rounded = _perturb(trains, 2.0, "round", np.random.default_rng(0), source, "x")
    np.testing.assert_array_equal(rounded.times[0], [0.0, 4.0])
    values = _perturb(Sampled("continuous", np.zeros((1000, 1))), 0.5, "jitter", np.random.default_rng(0), source, "y")
    assert values.values.std() == pytest.approx(0.5, rel=0.1)
    with pytest.raises(InputError, match="categorical"):
        _perturb(Sampled("categorical", np.zeros((10, 1))), 1.0, "jitter", np.random.default_rng(0), source, "y")
    assert _crossing(np.array([1.0, 10.0, 100.0]), np.array([1.0, 0.8, 0.1]), 0.9) == pytest.approx(np.sqrt(10))
    assert np.isnan(_crossing(np.array([1.0, 10.0]), np.array([0.5, 0.1]), 0.9))


def test_rank_transform_fitted_on_the_clean_rows():
    clean = np.random.default_rng(0).standard_normal((200, 2))
    both = np.concatenate([clean, clean + 10.0])
    out = rank_gaussianize(both, reference=200)
    np.testing.assert_array_equal(out[:200], rank_gaussianize(clean))
    assert (out[200:] == out[200:].max()).all()


def test_errors():
    x, y = correlated_gaussian(200, 1, 1, 1.0, seed=0)
    with pytest.raises(InputError, match="precisions: precision mode needs"):
        neuralmi.run(x, y, mode="precision")
    with pytest.raises(InputError, match="estimate_on: precision mode compares held-out values"):
        neuralmi.run(x, y, mode="precision", precisions=[0.1, 1.0], estimate_on="train")
    with pytest.raises(InputError, match="applies to mode 'precision'"):
        neuralmi.run(x, y, precisions=[0.1, 1.0])
