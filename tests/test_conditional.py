"""Conditional mode: exact answers of Gaussian triplets (a confound, a synergy, a partial effect), paired terms,
windowed Z, errors; the CLI's --z."""

import json

import numpy as np
import pytest

import neuralmi
from neuralmi.api import plan, source
from neuralmi.cli import main
from neuralmi.data.conditional import CASES, gaussian_triplet, triplet_information
from neuralmi.data.generators import latent_spikes
from neuralmi.errors import InputError
from neuralmi.options import make_options

FAST = {"hidden_dim": 16, "embedding_dim": 4, "max_epochs": 6, "patience": 3, "batch_size": 32, "eval_interval": 1,
        "gammas": [1, 2, 3], "min_gammas": 2}


def test_triplets_have_the_stated_covariance_and_information():
    """Each case's draw has its covariance; the chain rule holds; the confound has no conditional MI and the
    synergy more conditional than marginal MI."""
    for case, cov in CASES.items():
        x, y, z = gaussian_triplet(100_000, case, dim=2, seed=1)
        np.testing.assert_allclose(np.cov(np.c_[x[:, 0], y[:, 0], z[:, 0]].T), cov, rtol=0.03, atol=0.01)
        info = triplet_information(case, dim=2)
        assert info["conditional"] == pytest.approx(info["joint"] - info["own"], abs=1e-9)
    assert triplet_information("confound")["conditional"] == pytest.approx(0, abs=1e-12)
    assert triplet_information("confound")["marginal"] > 0.5
    assert triplet_information("synergy")["conditional"] > 2 * triplet_information("synergy")["marginal"]


def test_a_confound_gives_zero_conditional_mi_though_x_and_y_share_information():
    """Defaults, 5000 samples: I(X;Y|Z) has an interval holding 0 with its upper end below 0.15 bits, while
    I(X;Y) is above 0.5 bits."""
    x, y, z = gaussian_triplet(5000, "confound", seed=2)
    result = neuralmi.run(x, y, z=z, mode="conditional", seed=0)
    assert result.ci_low <= 0 <= result.ci_high and result.ci_high < 0.15, result.finding
    assert neuralmi.run(x, y, mode="rigorous", seed=0).ci_low > 0.5


@pytest.mark.parametrize("case", ["partial", "synergy"])
def test_a_known_positive_conditional_mi_is_within_0_15_bits_and_covered(case):
    x, y, z = gaussian_triplet(5000, case, seed=3)
    result = neuralmi.run(x, y, z=z, mode="conditional", seed=0)
    truth = triplet_information(case)
    assert abs(result.mi - truth["conditional"]) < 0.15 and result.ci_low <= truth["conditional"] <= result.ci_high
    frame = result.to_frame().set_index("quantity")
    for term in ("joint", "own"):
        assert abs(frame.loc[term, "mi"] - truth[term]) < 0.15, (term, frame.loc[term, "mi"], truth[term])
    assert result.finding.startswith("I(X;Y|Z)")
    json.dumps(result.to_dict())


def test_both_terms_share_every_subset_and_split():
    x, y, z = gaussian_triplet(500, seed=0)
    opts = make_options(FAST)
    table = plan(source(x, y, opts, "conditional", z), "conditional", opts, 0)
    groups = [rows for _, rows in table.groupby("point")]
    fits = [[(r.gamma, r.subset, tuple(r.train), tuple(r.val), r.seed) for r in rows.itertuples()] for rows in groups]
    assert len(fits) == 2 and fits[0] == fits[1] and len(fits[0]) == sum(FAST["gammas"])


def test_z_is_windowed_like_x_and_y():
    """A time series with windows of 4 samples: the joint term's X holds X's and Z's windows side by side,
    flattened for the mlp embedding and as channels of equal-length windows for the gru."""
    from neuralmi.analysis.modes import MODES
    from neuralmi.analysis.points import resolved

    conditional = MODES["conditional"]

    rng = np.random.default_rng(0)
    x, y, z = rng.standard_normal((400, 2)), rng.standard_normal((400, 1)), rng.standard_normal((400, 3))
    for extra, joint_shape, own_shape in (({}, (100, 20), (100, 12)), ({"embedding": "gru"}, (100, 4, 5), (100, 4, 3))):
        opts = make_options({"processor": "continuous", "window_size": 4, **FAST, **extra})
        src = source(x, y, opts, "conditional", z)
        point_opts = resolved(conditional, opts, {"term": "joint"}, src)
        joint, target = conditional.point_samples(src, {"term": "joint"}, point_opts, 0)
        own, _ = conditional.point_samples(src, {"term": "own"}, point_opts, 0)
        assert joint.shape == joint_shape and own.shape == own_shape and target.shape == (100, 4, 1)
        np.testing.assert_allclose(own[1].reshape(4, 3), z[4:8], rtol=1e-6)  # float32 samples
    result = neuralmi.run(x, y, z=z, mode="conditional", processor="continuous", window_size=4, seed=0, **FAST)
    assert np.isfinite([result.mi, result.ci_low, result.ci_high]).all()
    assert [t.get_text() for t in result.plot().axes[1].get_yticklabels()] == ["I(X;Y|Z)", "joint term", "own term"]


def test_z_may_come_from_another_processor():
    """Spike counts of a third population (one bin per window) beside a continuous X of 5-sample windows."""
    spikes, signal = latent_spikes(duration=20, sample_rate=100, n_neurons=3, latent_dim=1, n_signal=3, seed=1)
    result = neuralmi.run(signal[:, :2], signal[:, 2:], z=spikes, mode="conditional", processor="continuous",
                          processor_z="spikes", spike_encoding="counts", sample_rate=100, window_size=0.05, seed=0,
                          **FAST)
    assert np.isfinite([result.mi, result.ci_low, result.ci_high]).all()
    with pytest.raises(InputError, match="cannot join x's"):
        neuralmi.run(signal[:, :2], signal[:, 2:], z=spikes, mode="conditional", processor="continuous",
                     processor_z="spikes", spike_encoding="counts", sample_rate=100, window_size=0.05, seed=0,
                     embedding="gru", **FAST)


def test_conditional_errors_name_the_problem():
    x, y, z = gaussian_triplet(100, seed=0)
    with pytest.raises(InputError, match="z: conditional mode needs the conditioning variable z"):
        neuralmi.run(x, y, mode="conditional", **FAST)
    with pytest.raises(InputError, match="z: only conditional mode takes a conditioning variable, not mode 'rigorous'"):
        neuralmi.run(x, y, z=z, mode="rigorous", **FAST)
    with pytest.raises(InputError, match="z: has 99 samples, x and y have 100"):
        neuralmi.run(x, y, z=z[:99], mode="conditional", **FAST)
    with pytest.raises(InputError, match="x and y and z: recordings of different lengths, x 100 and y 100 and z 90"):
        neuralmi.run(x, y, z=z[:90], mode="conditional", processor="continuous", **FAST)
    with pytest.raises(InputError, match="'processor_z': applies to mode 'conditional'"):
        neuralmi.run(x, y, mode="rigorous", processor_z="continuous", **FAST)


def test_cli_takes_z(tmp_path):
    x, y, z = gaussian_triplet(400, "partial", seed=0)
    for name, array in {"x": x, "y": y, "z": z}.items():
        np.save(tmp_path / f"{name}.npy", array)
    out = tmp_path / "result.json"
    options = tmp_path / "options.json"
    options.write_text(json.dumps(FAST))
    code = main(["run", str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), "--z", str(tmp_path / "z.npy"),
                 "--mode", "conditional", "--options", str(options), "--out", str(out),
                 "--fits", str(tmp_path / "terms.parquet")])
    assert code == 0
    result = json.loads(out.read_text())
    assert result["mode"] == "conditional" and set(result["terms"]) == {"conditional", "joint", "own"}
    assert main(["run", str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), "--mode", "conditional",
                 "--out", str(out)]) == 2


def test_without_extrapolation_the_held_out_difference_has_a_paired_error():
    """conditional_correction: none, one fit per term: the difference's error comes from the per-sample held-out
    terms of both critics on the same samples, far below the root sum of the two terms' errors when the terms
    share most of their information (a confound); the partial case lands within 0.15 bits and is covered."""
    x, y, z = gaussian_triplet(5000, "confound", seed=3)
    result = neuralmi.run(x, y, z=z, mode="conditional", conditional_correction="none", seed=0)
    fits = result.fits
    assert len(fits) == 2 and all(len(t) == n for t, n in zip(fits["val_terms"], fits["n_val"]))
    assert result.ci_low <= 0 <= result.ci_high
    assert result.details["se"] < np.sqrt((fits["se"] ** 2).sum()) / 3
    assert result.summary is None and len(result.plot().axes) == 1
    x, y, z = gaussian_triplet(5000, "partial", seed=3)
    result = neuralmi.run(x, y, z=z, mode="conditional", conditional_correction="none", repeats=2, seed=0)
    truth = triplet_information("partial")["conditional"]
    assert abs(result.mi - truth) < 0.15 and result.ci_low <= truth <= result.ci_high, result.finding
    assert len(result.fits) == 4 and result.details["correction"] == "none"


def test_a_paired_difference_needs_both_fits_terms():
    """Fits without kept terms (or with terms of another length) cannot be differenced sample by sample."""
    import pandas as pd

    from neuralmi.analysis.paired import held_out_difference

    row = {"fit_id": 0, "gamma": 1, "repeat": 0, "subset": 0, "n_samples": 10, "seed": 1, "n_val": 3, "val_mi": 0.5,
           "se": 0.1}
    with_terms = pd.DataFrame([{**row, "val_terms": np.array([0.4, 0.5, 0.6])}])
    held_out_difference(with_terms, with_terms.assign(fit_id=1), 0.95)
    with pytest.raises(InputError, match="val_terms: fit 0 holds 3 and its pair 0 held-out terms"):
        held_out_difference(with_terms, with_terms.assign(fit_id=1, val_terms=[np.empty(0)]), 0.95)
    with pytest.raises(InputError, match="repeats: with split='indices'"):
        neuralmi.run(np.zeros((50, 1)), np.zeros((50, 1)), z=np.zeros((50, 1)), mode="conditional",
                     conditional_correction="none", split="indices", validation_indices=list(range(10)), repeats=2)
