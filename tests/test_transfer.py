"""Transfer mode: the exact TE of a coupled autoregression, paired terms, samples built from the past, time order
kept by the subsets and splits, clear errors."""

import json

import numpy as np
import pytest

import neuralmi
from neuralmi.analysis.modes import MODES
from neuralmi.analysis.history import steps
from neuralmi.analysis.points import resolved
from neuralmi.api import plan, source
from neuralmi.data.autoregression import coupled_autoregression, coupled_transfer_entropy, gaussian_cmi
from neuralmi.data.generators import latent_spikes
from neuralmi.errors import InputError
from neuralmi.options import make_options

transfer = MODES["transfer"]
FAST = {"hidden_dim": 16, "embedding_dim": 4, "max_epochs": 6, "patience": 3, "batch_size": 32, "eval_interval": 1,
        "gammas": [1, 2, 3], "min_gammas": 2}


def test_exact_te_matches_the_regression_of_a_long_draw():
    """For Gaussians TE is half the log ratio of the residual variances of y_t regressed on its own past and on
    both pasts; with history 1 and a long draw the two agree to sampling error. Y does not drive X."""
    x, y = coupled_autoregression(200_000, coupling=0.8, seed=3)
    future, own, joint = y[1:, 0], np.c_[y[:-1, 0]], np.c_[y[:-1, 0], x[:-1, 0]]
    residual = [future - a @ np.linalg.lstsq(a, future, rcond=None)[0] for a in (own, joint)]
    empirical = 0.5 * np.log(residual[0].var() / residual[1].var()) / np.log(2)
    assert coupled_transfer_entropy(1, coupling=0.8) == pytest.approx(empirical, abs=0.01)
    assert coupled_transfer_entropy(3, direction="y_to_x") == pytest.approx(0.0, abs=1e-12)
    assert coupled_transfer_entropy(1, horizon=2) < coupled_transfer_entropy(1)
    assert coupled_transfer_entropy(1, coupling=0.0) == pytest.approx(0.0, abs=1e-12)


def test_gaussian_cmi_of_a_chain_and_a_common_cause():
    """X -> Z -> Y: I(X;Y) > 0 but I(X;Y|Z) = 0; X, Y independent causes of Z: I(X;Y) = 0 but I(X;Y|Z) > 0."""
    chain = np.array([[1.0, 0.6, 0.36], [0.6, 1.0, 0.6], [0.36, 0.6, 1.0]])  # order x, z, y
    assert gaussian_cmi(chain, [0], [2]) == pytest.approx(-0.5 * np.log(1 - 0.36**2))
    assert gaussian_cmi(chain, [0], [2], [1]) == pytest.approx(0, abs=1e-12)
    collider = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [0.5, 0.5, 1.0]])  # order x, y, z
    assert gaussian_cmi(collider, [0], [1]) == pytest.approx(0, abs=1e-12)
    assert gaussian_cmi(collider, [0], [1], [2]) == pytest.approx(-0.5 * np.log(1 - (1 / 3) ** 2))  # partial r -1/3


def test_te_of_a_coupled_autoregression_with_defaults_is_covered_and_the_reverse_contains_zero():
    """Default options, 5000 time points, history 2: TE(X->Y) within 0.1 bits of the exact value and covered by
    its interval; TE(Y->X) = 0 lies in its interval."""
    x, y = coupled_autoregression(5000, coupling=0.8, seed=11)
    result = neuralmi.run(x, y, mode="transfer", history=2, seed=0)
    truth = coupled_transfer_entropy(2, coupling=0.8)
    frame = result.to_frame().set_index(["direction", "quantity"])
    assert abs(result.mi - truth) < 0.1, (result.mi, truth)
    assert result.ci_low <= truth <= result.ci_high
    reverse = frame.loc[("y_to_x", "te")]
    assert reverse["ci_low"] <= 0 <= reverse["ci_high"]
    assert frame.loc[("net", "te"), "ci_low"] > 0
    assert result.mi == pytest.approx(frame.loc[("x_to_y", "te"), "mi"])
    assert set(frame.index.get_level_values("quantity")) == {"te", "joint", "own"}
    assert "TE(X->Y)" in result.finding and "TE(Y->X)" in result.finding
    json.dumps(result.to_dict())


def test_the_two_terms_share_every_subset_and_split():
    """Paired differences need the joint and own-past fits of a (gamma, repeat, subset) on the same samples."""
    x, y = coupled_autoregression(600, seed=0)
    opts = make_options({"history": 3, **FAST})
    table = plan(source(x, y, opts, "transfer"), "transfer", opts, 0)
    groups = [rows for _, rows in table.groupby("point")]
    assert len(groups) == 4 and len(table) == 4 * sum(FAST["gammas"])
    fits = [[(r.gamma, r.repeat, r.subset, tuple(r.train), tuple(r.val), r.seed) for r in rows.itertuples()]
            for rows in groups]
    assert all(f == fits[0] for f in fits)


def test_subsets_and_held_out_blocks_are_contiguous_in_time_with_a_gap_of_a_samples_span():
    """Every fit's samples form one contiguous run of time steps; its held-out blocks are runs too, and no
    training sample lies within history + horizon - 1 steps of a held-out one."""
    x, y = coupled_autoregression(900, seed=0)
    opts = make_options({"history": 3, "horizon": 2, **FAST})
    src = source(x, y, opts, "transfer")
    table = plan(src, "transfer", opts, 0)
    gap = resolved(transfer, opts, {"direction": "x_to_y", "term": "joint"}, src).gap
    assert gap == 3 + 2 - 1
    for row in table.itertuples():
        members = np.sort(np.concatenate([row.train, row.val]))
        assert members.max() - members.min() < row.n_samples  # one contiguous subset (less the gaps)
        val = np.asarray(row.val)
        assert (np.diff(val) >= 1).all()
        distance = np.abs(np.asarray(row.train)[:, None] - val[None, :]).min()
        assert distance > gap


def test_samples_pair_the_past_with_the_value_horizon_steps_later():
    x = np.arange(20.0)[:, None]
    y = 100 + np.arange(20.0)[:, None]
    opts = make_options({"history": 3, "horizon": 2})
    src = source(x, y, opts, "transfer")
    past, future = transfer.point_samples(src, {"direction": "x_to_y", "term": "joint"}, opts, 0)
    assert past.shape == (16, 3, 2) and future.shape == (16, 1, 1)
    np.testing.assert_array_equal(past[0], [[0, 100], [1, 101], [2, 102]])  # driver, then target, oldest first
    assert future[0, 0, 0] == 104  # two steps after the last past value
    own, _ = transfer.point_samples(src, {"direction": "y_to_x", "term": "own"}, opts, 0)
    np.testing.assert_array_equal(own[0, :, 0], [0, 1, 2])


def test_history_in_seconds_counts_windows_of_binned_spikes():
    """Spike counts in 20 ms windows, history 0.06 s = 3 windows: the mode runs end to end on spike trains
    against a continuous signal."""
    spikes, signal = latent_spikes(duration=30, sample_rate=100, n_neurons=4, latent_dim=1, n_signal=2, seed=2)
    opts = {"processor_x": "spikes", "processor_y": "continuous", "sample_rate": 100, "window_size": 0.02,
            "spike_encoding": "counts", **FAST}
    src = source(spikes, signal, make_options({**opts, "history": 0.06}), "transfer")
    assert steps(src, make_options({**opts, "history": 0.06})) == (3, 1)
    result = neuralmi.run(spikes, signal, mode="transfer", history=0.06, directions="x_to_y", seed=0, **opts)
    assert np.isfinite([result.mi, result.ci_low, result.ci_high]).all()
    assert set(result.to_frame()["direction"]) == {"x_to_y"}
    figure = result.plot()
    assert len(figure.axes) == 2 and figure.axes[1].get_yticklabels()[0].get_text() == "TE X->Y"
    with pytest.raises(InputError, match="whole number"):
        neuralmi.run(spikes, signal, mode="transfer", history=0.05, seed=0, **opts)


def test_the_default_horizon_starts_after_overlapping_past_windows():
    """Windows of 4 samples every 2 overlap by one step: the predicted window must start after the last past
    window ends, so the default horizon is 2 steps and 1 is an error."""
    x, y = np.arange(40.0)[:, None], 100 + np.arange(40.0)[:, None]
    opts = make_options({"processor": "continuous", "window_size": 4, "step_size": 2, "history": 4})
    src = source(x, y, opts, "transfer")
    assert steps(src, opts) == (2, 2)
    past, future = transfer.point_samples(src, {"direction": "x_to_y", "term": "own"}, opts, 0)
    assert past[0].max() < future[0].min()  # no shared time points
    np.testing.assert_array_equal(future[0, 0], [106, 107, 108, 109])
    with pytest.raises(InputError, match="horizon: 1 steps ahead, the predicted window shares time points"):
        steps(src, opts.replace(horizon=2))
    with pytest.raises(InputError, match="gap: 1 steps would let training samples share time points"):
        neuralmi.run(x, y, mode="transfer", processor="continuous", window_size=4, step_size=2, history=4, gap=1,
                     **FAST)


def test_transfer_errors_name_the_problem():
    x, y = coupled_autoregression(60, seed=0)
    with pytest.raises(InputError, match="history: transfer mode needs"):
        neuralmi.run(x, y, mode="transfer", **FAST)
    with pytest.raises(InputError, match="split: transfer mode keeps time order"):
        neuralmi.run(x, y, mode="transfer", history=1, split="random", **FAST)
    with pytest.raises(InputError, match="leave no samples"):
        neuralmi.run(x, y, mode="transfer", history=80, **FAST)
    with pytest.raises(InputError, match="'history': applies to mode 'transfer'"):
        neuralmi.run(x, y, mode="rigorous", history=2, **FAST)
    with pytest.raises(InputError, match="needs both x and y"):
        neuralmi.run(x, mode="transfer", history=1, **FAST)
