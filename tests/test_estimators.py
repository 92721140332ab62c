"""Generative and upper-bound estimators on density critics, and the bracket of a lower and an upper bound."""

import numpy as np
import pandas as pd
import pytest

import neuralmi
from neuralmi.analysis import bracket
from neuralmi.analysis.modes import MODES
from neuralmi.analysis.verdicts import bias_warnings, fit_warnings, linear_warnings
from neuralmi.analysis.result import MIResult
from neuralmi.data.generators import correlated_gaussian
from neuralmi.data.tasks import task
from neuralmi.bounds import CLUB, DifferenceOfEntropies, LeaveOneOut, make_bound
from neuralmi.errors import InputError
from neuralmi.options import make_options
from neuralmi.reference import linear_bound
from neuralmi.training.splits import random_split

TRUTH = 2.0
COMMON = {"threads": 2, "max_epochs": 150}


@pytest.fixture(scope="module")
def gaussian():
    """2+2-D Gaussians with I = 2 bits, 5000 samples (1000 held out)."""
    return correlated_gaussian(5000, 2, 2, TRUTH, seed=3)


@pytest.mark.parametrize("options", [
    {"critic": "gaussian", "bound": "doe"},
    {"critic": "gaussian", "bound": "doe", "mixture_components": 2},
    {"critic": "flow", "bound": "doe", "flow_layers": 2},
])
def test_the_difference_of_entropies_is_within_a_tenth_of_a_bit_and_covers_the_truth(gaussian, options):
    """Held-out estimate mode. Tolerance: 0.1 bits, about the interval's half-width at 1000 held-out samples."""
    result = neuralmi.run(*gaussian, progress=False, **COMMON, **options)
    assert abs(result.mi - TRUTH) < 0.1
    assert result.ci_low <= TRUTH <= result.ci_high
    assert result.details["bound_direction"] == "not a bound"


def test_the_difference_of_entropies_waits_for_its_marginal_density():
    """10+10-D Gaussians whose Y features correlate 0.5 among themselves (suite task dense-10d-0.5nat): the
    conditional density fits in a few epochs, the full-covariance marginal much later, and the difference of
    entropies peaks far above the truth meanwhile (1.7 bits for 0.72 when stopping and selection followed its
    own value). Stopped and selected on the densities' held-out likelihood, it is within 0.15 bits of the truth
    (about 1.5 times the interval's half-width: the conditional's held-out cross-entropy keeps it a little low)
    with a consistent pair of densities (bound gap under 0.05 bits)."""
    dense = task("dense-10d-0.5nat")
    result = neuralmi.run(*dense.sample(5000, 0), progress=False, critic="gaussian", bound="doe", **COMMON)
    assert abs(result.mi - dense.mi / np.log(2)) < 0.15
    assert abs(result.fits["bound_gap"].iloc[0]) < 0.05


def test_flo_with_its_second_network_is_within_a_tenth_of_a_bit_and_covers_the_truth(gaussian):
    """Held-out estimate mode on the default separable critic, tolerance 0.1 bits (the interval's half-width)."""
    result = neuralmi.run(*gaussian, progress=False, bound="flo", **COMMON)
    assert abs(result.mi - TRUTH) < 0.1
    assert result.ci_low <= TRUTH <= result.ci_high
    assert result.details["bound_direction"] == "lower bound"
    assert result.fits["bound"].iloc[0] == "flo"


GAUSSIAN_Y_ENTROPY = np.log(2 * np.pi * np.e)
"""Entropy of the fixture's Y, two independent standard normal features, in nats."""
KNOWN = {**COMMON, "critic": "gaussian", "bound": "ba", "rank_transform": False}


def test_barber_agakov_with_the_known_entropy_is_within_a_tenth_of_a_bit_in_any_units_of_y(gaussian):
    """Held-out estimate mode, tolerance 0.1 bits (the interval's half-width). Y measured in other units (times
    10) with its entropy given in those units (+ 2 log 10 nats) gives the same estimate: the standardisation's
    Jacobian is accounted for."""
    x, y = gaussian
    result = neuralmi.run(x, y, progress=False, y_entropy_nats=GAUSSIAN_Y_ENTROPY, **KNOWN)
    assert abs(result.mi - TRUTH) < 0.1
    assert result.ci_low <= TRUTH <= result.ci_high
    assert result.reliable and result.details["bound_direction"] == "lower bound"
    rescaled = neuralmi.run(x, 10 * y, progress=False, y_entropy_nats=GAUSSIAN_Y_ENTROPY + 2 * np.log(10), **KNOWN)
    assert rescaled.mi == pytest.approx(result.mi, abs=1e-3)


def test_the_hybrid_bound_with_the_known_entropy_is_within_a_tenth_of_a_bit(gaussian):
    """Barber-Agakov plus the contrastive correction on 15 draws from q(y|x): held-out estimate mode, tolerance
    0.1 bits (the interval's half-width)."""
    x, y = gaussian
    result = neuralmi.run(x, y, progress=False, y_entropy_nats=GAUSSIAN_Y_ENTROPY, **{**KNOWN, "bound": "ba_hybrid"})
    assert abs(result.mi - TRUTH) < 0.1
    assert result.ci_low <= TRUTH <= result.ci_high
    assert result.reliable and result.details["bound_direction"] == "lower bound"


def test_the_hybrid_bound_recovers_part_of_what_a_misspecified_conditional_misses():
    """Y = X + U(-0.75, 0.75) (suite task uniform-1d-eps0.75, 0.48 bits): a Gaussian q(y|x) cannot fit the
    uniform conditional, so Barber-Agakov falls short (0.20 bits measured); the contrastive correction on
    draws from q recovers part of it (0.33), more than 0.08 bits, and both stay lower bounds."""
    t = task("uniform-1d-eps0.75")
    x, y = t.sample(5000, 0)
    options = {**KNOWN, "max_epochs": 300, "y_entropy_nats": t.y_entropy}
    plain = neuralmi.run(x, y, progress=False, **options)
    hybrid = neuralmi.run(x, y, progress=False, **{**options, "bound": "ba_hybrid"})
    assert hybrid.mi - plain.mi > 0.08
    assert hybrid.ci_low < t.mi / np.log(2)


def test_the_correction_of_the_hybrid_bound_lies_between_zero_for_a_constant_critic_and_log_k(fast):
    """f(x, y) - log mean_k e^{f(x, y_k)} over the pair and K - 1 draws: 0 when f ignores y, at most log K."""
    import torch

    from neuralmi.nets.factory import make_critic

    options = make_options({**fast, "critic": "flow", "bound": "ba_hybrid", "flow_layers": 2, "mixture_components": 2,
                            "proposal_samples": 8, "y_entropy_nats": 0.0, "rank_transform": False})
    torch.manual_seed(0)
    critic = make_critic(options, (3,), (2,))
    x, y = torch.randn(50, 3), torch.randn(50, 2)
    noise = torch.randn(50, critic.noise_dim)
    for p in critic.f.h.parameters():
        p.data.normal_(0, 1.0)
    varied = critic(x, y, op="proposal", noise_x=noise)
    assert varied.shape == (50,) and (varied <= np.log(8) + 1e-6).all() and varied.std() > 0.01
    for p in critic.f.h.parameters():
        p.data.zero_()
    assert torch.allclose(critic(x, y, op="proposal", noise_x=noise), torch.zeros(50), atol=1e-6)


def test_an_entropy_given_too_high_raises_the_estimate_by_as_much_and_is_flagged(gaussian):
    """The entropy does not enter training or selection, so 0.5 nats too much adds 0.5 nats (0.72 bits) to the
    same fit's value; the learned marginal's cross-entropy, which cannot be below the true entropy, shows it."""
    x, y = gaussian
    right = neuralmi.run(x, y, progress=False, y_entropy_nats=GAUSSIAN_Y_ENTROPY, **KNOWN)
    high = neuralmi.run(x, y, progress=False, y_entropy_nats=GAUSSIAN_Y_ENTROPY + 0.5, **KNOWN)
    assert high.mi - right.mi == pytest.approx(0.5 / np.log(2), rel=1e-6)
    assert not high.reliable
    assert "y_entropy_nats lies 0.7" in high.reasons[0] and "the given entropy is too high" in high.reasons[0]


def club_value(bits: float, pairs: int) -> float:
    """CLUB with the true conditional of correlated Gaussian pairs: sum of rho^2 / (1 - rho^2) nats (in bits),
    above the MI, sum of -log(1 - rho^2) / 2, by a margin that grows with the correlation."""
    rho2 = 1 - 2.0 ** (-2 * bits / pairs)
    return pairs * rho2 / (1 - rho2) / np.log(2)


@pytest.mark.parametrize("bound, target, tolerance", [("l1out", TRUTH, 0.15), ("club", club_value(TRUTH, 2), 0.3)])
def test_the_upper_bounds_lie_above_the_truth_near_their_own_value(gaussian, bound, target, tolerance):
    """Leave-one-out is within 0.15 bits of the MI; CLUB converges to its own value at the true conditional
    (8.66 bits here: a valid but loose upper bound at this correlation), within 0.3 bits. Both intervals reach
    the truth from above. CLUB, more than twice its critic's own InfoNCE lower bound, is not reliable, with the
    reason; leave-one-out, close above it, is."""
    result = neuralmi.run(*gaussian, progress=False, critic="gaussian", bound=bound, **COMMON)
    assert result.ci_high >= TRUTH
    assert abs(result.mi - target) < tolerance
    assert result.details["bound_direction"] == "upper bound"
    loose = [r for r in result.reasons if "more than twice the MI" in r]
    assert result.reliable == (bound == "l1out") and bool(loose) == (bound == "club"), result.reasons


@pytest.mark.parametrize("mode", ["estimate", "rigorous"])
def test_a_bracket_holds_the_truth_between_the_lower_and_upper_bound(gaussian, mode):
    """InfoNCE on the separable critic below, leave-one-out on the Gaussian density critic above, on the same
    splits: upper >= lower, and the band from the lower interval's low end to the upper one's high end holds the
    truth. The lower fits are those of the same analysis without a bracket."""
    x, y = gaussian
    options = {**COMMON, "gammas": [1, 2, 3, 4]} if mode == "rigorous" else COMMON
    result = neuralmi.run(x, y, mode=mode, progress=False, bracket=True, **options)
    out = result.to_dict()
    assert out["upper_bound"] == "l1out"
    assert out["mi_upper"] >= out["mi"]
    assert out["ci_low"] <= TRUTH <= out["ci_upper_high"]
    lower, upper = (result.fits[result.fits["bound"] == b] for b in ("infonce", "l1out"))
    assert len(lower) == len(upper) == len(result.fits) / 2
    assert (lower["seed"].to_numpy() == upper["seed"].to_numpy()).all()
    if mode == "estimate":
        assert neuralmi.run(x, y, mode=mode, progress=False, **options).mi == result.mi


def _result(mi, low, high):
    table = pd.DataFrame({"fit_id": [0], "bound": ["infonce"], "null": [0]})
    return MIResult(mode="estimate", mi=mi, ci_low=low, ci_high=high, reliable=True, reasons=[], units="bits",
                    fits=table, curves=pd.DataFrame({"fit_id": []}))


class _Upper:
    """A mode whose summary is a given upper result."""

    def __init__(self, result):
        self.result = result

    def summarise(self, fits, curves, options, units):
        return self.result


def test_an_upper_bound_below_the_lower_bound_makes_the_result_unreliable():
    """When the upper interval lies wholly below the lower one, one of the two bounds fails (usually the upper,
    from a poor q(y|x)): the result says so and is not reliable; an overlap is accepted."""
    options = make_options({"bracket": True})
    upper_fits = pd.DataFrame({"fit_id": [1], "bound": ["l1out"], "null": [0]})
    crossed = bracket.attach(_result(2.0, 1.9, 2.1), _Upper(_result(1.5, 1.4, 1.6)), upper_fits,
                             pd.DataFrame({"fit_id": []}), options, "bits")
    assert not crossed.reliable
    assert "lies below the lower bound's interval" in crossed.reasons[0]
    overlapping = bracket.attach(_result(2.0, 1.9, 2.1), _Upper(_result(1.95, 1.85, 2.05)), upper_fits,
                                 pd.DataFrame({"fit_id": []}), options, "bits")
    assert overlapping.reliable and overlapping.details["mi_upper"] == 1.95


@pytest.mark.parametrize("gap, flagged, words", [
    (0.05, False, None), (-0.05, False, None),
    (0.5, True, "may over-estimate the MI by up to that much"),
    (-0.5, True, "under-estimates the MI by at least that much"),
])
def test_the_difference_of_entropies_is_flagged_when_its_densities_disagree(gap, flagged, words):
    """Its bound gap, log E_{p(x)p(y)}[q(y|x)/q(y)], is about 0 for consistent densities; beyond the interval's
    half-width (0.1 here) it is a reason in either sign: below 0 the value lies under its own densities'
    Donsker-Varadhan lower bound, above 0 the marginal is too low where the conditionals put mass."""
    table = pd.DataFrame({"bound_gap": [0.01, gap]})
    reasons = bias_warnings(table, DifferenceOfEntropies(), 0.1, "bits")
    assert bool(reasons) == flagged
    if flagged:
        assert words in reasons[0] and f"{abs(gap):.3f} bits" in reasons[0]


@pytest.mark.parametrize("bound, value, gap, words", [
    (CLUB(), 1.5, 0.05, None),  # within the half-width (0.1)
    (CLUB(), 1.5, 0.7, None),  # above the lower bound 0.8 by less than 0.8
    (CLUB(), 1.5, 0.9, "above its own critic's InfoNCE lower bound (0.600 bits), more than doubling it"),
    (LeaveOneOut(), 0.2, 0.25, "which is not above zero"),
    (LeaveOneOut(), 0.02, 0.05, None),  # a lower bound below zero, but within the half-width
])
def test_an_upper_bound_more_than_twice_its_critics_lower_bound_is_flagged(bound, value, gap, words):
    """An upper bound's gap is how far it lies above the same critic's InfoNCE value: beyond that value (so above
    twice it) and beyond the interval's half-width it is a reason, naming the cause that fits the bound."""
    table = pd.DataFrame({"mi": [value - 0.01, value], "bound_gap": [0.0, gap]})
    reasons = bias_warnings(table, bound, 0.1, "bits")
    assert bool(reasons) == (words is not None)
    if words:
        assert words in reasons[0] and f"lies {gap:.3f} bits above" in reasons[0]
        assert ("use the bound l1out" in reasons[0]) == isinstance(bound, CLUB)


@pytest.mark.parametrize("gap, flagged", [(-0.3, False), (0.15, False), (0.25, True)])
def test_every_mode_flags_an_entropy_above_the_learned_marginals_cross_entropy(gap, flagged):
    """Barber-Agakov's gap, y_entropy_nats + mean log q(y), flags beyond two held-out standard errors (0.1 here)
    in the warnings every mode shares."""
    table = pd.DataFrame({"bound_gap": [0.0, gap], "se": [0.1, 0.1], "val_mi": [1.0, 1.0], "train_mi": [1.1, 1.1],
                          "stopped_early": [True, True], "gamma": [1, 2], "eval_n": [1000, 500]})
    reasons = fit_warnings(table, "ba", "bits")
    assert bool(reasons) == flagged
    if flagged:
        assert "y_entropy_nats lies 0.250 bits above" in reasons[0]


@pytest.mark.parametrize("gap, flagged", [(0.05, False), (-0.05, False), (-0.2, True)])
def test_barber_agakov_is_flagged_where_its_learned_marginal_misses_the_known_entropy(gap, flagged):
    """A gap below 0 is the learned marginal's misfit, KL(p(y) || q(y)): beyond the interval's half-width (0.1)
    the densities fit Y poorly and the bound is unlikely to be close (its own shortfall is the conditionals'
    misfit); a gap above 0 is the entropy check's, not this one's."""
    table = pd.DataFrame({"bound_gap": [0.0, gap]})
    reasons = bias_warnings(table, make_bound(make_options({"bound": "ba", "y_entropy_nats": 1.0})), 0.1, "bits")
    assert bool(reasons) == flagged
    if flagged:
        assert "exceeds Y's known entropy by 0.200 bits" in reasons[0]


def test_barber_agakov_on_heavy_tails_is_not_reliable():
    """Student-t with 3 degrees of freedom in 5+5 dimensions (suite task student-5d-dof3, 0.43 bits): a Gaussian
    q(y|x) misses the tails, and Barber-Agakov's interval (about 0.0 +- 0.3 bits measured) lies below the truth;
    its learned marginal misses Y's entropy by about 2 bits, so the result is flagged."""
    t = task("student-5d-dof3")
    x, y = t.sample(5000, 0)
    result = neuralmi.run(x, y, progress=False, y_entropy_nats=t.y_entropy, **{**KNOWN, "max_epochs": 300})
    assert result.ci_high < t.mi / np.log(2)
    assert not result.reliable and any("fits Y poorly" in r for r in result.reasons)


def test_the_generative_estimator_reaches_high_mi_where_infonce_falls_short(fast):
    """6 bits on 3+3-D Gaussians with 400 held-out samples: InfoNCE's interval lies below the truth (its
    negatives cap it: log2(400) = 8.6 bits) while the difference of entropies covers it, within 0.4 bits."""
    x, y = correlated_gaussian(2000, 3, 3, 6.0, seed=1)
    doe = neuralmi.run(x, y, progress=False, critic="gaussian", bound="doe", **COMMON)
    infonce = neuralmi.run(x, y, progress=False, **COMMON)
    assert abs(doe.mi - 6.0) < 0.4 and doe.ci_low <= 6.0 <= doe.ci_high
    assert infonce.ci_high < 6.0


def test_a_saved_bracket_loads_back_with_its_upper_bound(tmp_path, fast):
    x, y = correlated_gaussian(600, 2, 2, 1.0, seed=0)
    result = neuralmi.run(x, y, progress=False, bracket=True, upper_bound="club", **fast)
    loaded = neuralmi.load(result.save(tmp_path / "saved"))
    assert loaded.to_dict() == result.to_dict()
    assert loaded.upper.mi == result.details["mi_upper"]
    pd.testing.assert_frame_equal(loaded.fits.drop(columns="seconds"), result.fits.drop(columns="seconds"))


@pytest.mark.parametrize("options, message", [
    ({"bound": "doe"}, "bound 'doe' needs a learned conditional density"),
    ({"bound": "l1out", "critic": "joint"}, "bound 'l1out' needs a learned conditional density"),
    ({"learned_scale": True, "critic": "joint"}, "learned_scale: scales the separable critic's scores; critic 'joint'"),
    ({"bracket": True, "bound": "smile"}, "bracket: the bound must be a lower bound.*'smile' is not a bound"),
    ({"bracket": True, "bound": "club", "critic": "gaussian"}, "'club' is an upper bound"),
    ({"bracket": True, "mode": "sweep", "grid": {"hidden_dim": [8, 16]}}, "bracket: applies to modes"),
    ({"critic": "flow", "dims": 1}, "critic 'flow': Y has 1 feature"),
    ({"bound": "ba", "critic": "gaussian"}, "bound 'ba' needs y_entropy_nats"),
    ({"bound": "ba", "critic": "gaussian", "y_entropy_nats": 2.8}, "rank_transform replaces Y by normal scores"),
    ({"bound": "ba", "critic": "gaussian", "y_entropy_nats": 2.8, "rank_transform": False,
      "processor_y": "categorical"}, "Y's processor is 'categorical'"),
    ({"bound": "ba", "critic": "gaussian", "y_entropy_nats": 2.8, "rank_transform": False,
      "mode": "dimensionality"}, "bound 'ba': mode 'dimensionality' estimates"),
    ({"y_entropy_nats": 2.8}, "option 'y_entropy_nats': applies to bounds \\['ba', 'ba_hybrid'\\], not 'infonce'"),
    ({"bound": "ba_hybrid", "critic": "flow"}, "bound 'ba_hybrid' needs y_entropy_nats"),
    ({"critic": "gaussian", "y_entropy_nats": 2.8, "mode": "sweep", "grid": {"bound": ["doe", "ba"]}},
     "rank_transform replaces Y by normal scores"),
    ({"bound": "ba", "critic": "gaussian", "y_entropy_nats": 2.8, "rank_transform": False, "mode": "sweep",
      "grid": {"window_size": [1, 2]}}, "the grid sweeps 'window_size', which changes Y"),
    ({"bound": "ba", "critic": "gaussian", "rank_transform": False, "mode": "sweep",
      "grid": {"y_entropy_nats": [1.0, 2.0]}}, "'y_entropy_nats' cannot be swept"),
])
def test_estimators_that_do_not_apply_are_errors_naming_the_problem(fast, options, message):
    options = dict(options)
    dims, mode = options.pop("dims", 2), options.pop("mode", "estimate")
    x, y = correlated_gaussian(200, dims, dims, 1.0, seed=0)
    with pytest.raises(InputError, match=message):
        neuralmi.run(x, y, mode=mode, progress=False, **fast, **options)


def test_a_density_critic_scores_log_density_ratios_with_y_in_rows(fast):
    """s[i, j] = log q(y_i | x_j) - log q(y_i): the row of y_i against every x_j, checked against the density
    computed directly from the critic's parts."""
    import torch

    from neuralmi.nets.factory import make_critic
    from neuralmi.nets.densities import mixture_log_density

    options = make_options({**fast, "critic": "flow", "mixture_components": 2, "flow_layers": 2})
    torch.manual_seed(0)
    critic = make_critic(options, (3,), (2,))
    for p in critic.parameters():
        p.data.normal_(0, 0.3)
    x, y = torch.randn(5, 3), torch.randn(4, 2)
    scores = critic(*critic(x, y, op="encode"), op="pair")
    z, log_det = critic.conditional_flow(y)
    logits, means, scales = critic.g(x).split([2, 4, 4], -1)
    direct = torch.stack([mixture_log_density(z, torch.log_softmax(logits[j], -1), means[j].view(2, 2),
                                              scales[j].view(2, 2)) for j in range(5)], 1)
    expected = direct + (log_det - critic.log_marginal(y))[:, None]
    assert scores.shape == (4, 5)
    assert torch.allclose(scores, expected, atol=1e-5)
    assert np.isfinite(scores.detach().numpy()).all()


@pytest.mark.parametrize("critic, components", [("gaussian", 2), ("flow", 1)])
def test_draws_from_the_conditional_density_have_its_moments(fast, critic, components):
    """The hybrid bound's proposals: the flow inverts exactly, and the mean and covariance of 200 000 draws
    from q(y|x) at one x match those of the density itself, integrated on a grid (to 0.03, and 3% for the
    covariance: sampling error and the grid's cut at +-10)."""
    import torch

    from neuralmi.nets.factory import make_critic

    options = make_options({**fast, "critic": critic, "mixture_components": components, "flow_layers": 2})
    torch.manual_seed(1)
    density = make_critic(options, (3,), (2,))
    for p in density.parameters():
        p.data.normal_(0, 0.3)
    with torch.no_grad():
        y = torch.randn(100, 2)
        torch.testing.assert_close(density.conditional_flow.inverse(density.conditional_flow(y)[0]), y)
        ex = density.encode_x(torch.randn(1, 3))
        m = 200_000
        gumbel = -torch.log(-torch.log(torch.rand(1, m, components).clamp(1e-9, 1 - 1e-9)))
        draws = density.sample(ex, torch.randn(1, m, 2), gumbel)[0]
        axis = torch.linspace(-10, 10, 501)
        grid = torch.stack(torch.meshgrid(axis, axis, indexing="ij"), -1).reshape(-1, 2)
        weights = torch.exp(density.pair(density.encode_y(grid)[0], ex).squeeze(-1) + density.log_marginal(grid))
        weights = weights / weights.sum()
        mean = weights @ grid
        covariance = (weights[:, None] * (grid - mean)).T @ (grid - mean)
    torch.testing.assert_close(draws.mean(0), mean, atol=0.03, rtol=0)
    torch.testing.assert_close(torch.cov(draws.T), covariance, atol=0.03, rtol=0.03)


@pytest.mark.parametrize("options, words", [
    ({}, "the lower bound is loose here by at least 0.304 bits"),
    ({"critic": "gaussian", "bound": "doe"}, "the estimate is too low here by at least 0.304 bits"),
    ({"critic": "gaussian", "bound": "l1out"}, "the upper bound does not hold here by at least 0.304 bits"),
])
def test_an_interval_wholly_below_zero_is_flagged(options, words):
    """The MI is never negative: a held-out interval below zero by more than its half-width shows any estimator
    off by at least its upper end (a lower bound loose, an upper bound broken, the difference of entropies too
    low); one that reaches within its half-width of zero is no reason."""
    estimate = MODES["estimate"]
    table = _one_fit(options.get("bound", "infonce"), val_mi=-0.5)
    below = estimate.summarise(table, pd.DataFrame(), make_options(options), "bits")
    assert not below.reliable and any(words in r for r in below.reasons)
    grazing = estimate.summarise(table.assign(val_mi=-0.15), pd.DataFrame(), make_options(options), "bits")
    assert not any("below zero" in r for r in grazing.reasons)


def _one_fit(bound: str, **values) -> pd.DataFrame:
    """An estimate-mode fit table of one reliable-looking fit (bits), with `values` replacing its numbers."""
    row = {"fit_id": 0, "bound": bound, "val_mi": 1.0, "train_mi": 1.1, "se": 0.1, "bound_gap": 0.0,
           "stopped_early": True, "gamma": 1, "eval_n": 1000, "reference_mi": np.nan, "reference_se": np.nan,
           "linear_mi": np.nan, "linear_se": np.nan}
    return pd.DataFrame([{**row, **values}])


def test_the_linear_critic_bound_is_near_the_truth_for_gaussians_and_holds_where_the_dependence_is_not_linear():
    """Closed form on the training rows, scored with InfoNCE on the held-out rows: within a tenth of a nat of a
    Gaussian's MI (its sparse, many-dimensional form included), about zero without dependence, and still below
    the MI (about zero) where Y depends on X only through its square; the same numbers twice."""
    train, val = random_split(5000, 0.2, 0)
    for x, y, truth in [(*correlated_gaussian(5000, 5, 5, 2.0, "nats", seed=1), 2.0),
                        (*task("sparse-50d-1pair").sample(5000, 0), task("sparse-50d-1pair").mi)]:
        mi, se = linear_bound(x, y, train, val, 8192)
        assert abs(mi - truth) <= 0.1 and mi - 3 * se <= truth
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5000, 3))
    for y in (rng.normal(size=(5000, 3)), x**2 + 0.1 * rng.normal(size=(5000, 3))):
        mi, se = linear_bound(x, y, train, val, 1000)
        assert abs(mi) <= 3 * se + 0.01
    assert linear_bound(x, y, train, val, 1000) == linear_bound(x, y, train, val, 1000)


@pytest.mark.parametrize("bound, critic, words", [
    ("infonce", "separable", "this lower bound falls short"),
    ("doe", "gaussian", "this estimate is too low"),
    ("l1out", "gaussian", "this upper bound does not hold"),
])
def test_a_value_below_the_linear_critic_bound_by_more_than_their_joint_error_is_flagged(bound, critic, words):
    """The linear critic's bound holds whatever the data: a result below it by more than the half-width and its
    error in quadrature (1.96 x hypot(0.1, 0.05) = 0.219 bits) is too low, whichever estimator gave it; one
    within that is no reason."""
    options = make_options({"bound": bound, "critic": critic})
    far = MODES["estimate"].summarise(_one_fit(bound, linear_mi=1.3, linear_se=0.05), pd.DataFrame(), options, "bits")
    assert not far.reliable and any(words in r and "0.300 above" in r for r in far.reasons)
    near = MODES["estimate"].summarise(_one_fit(bound, linear_mi=1.2, linear_se=0.05), pd.DataFrame(), options, "bits")
    assert near.reliable, near.reasons
    table = _one_fit(bound, linear_mi=1.3, linear_se=0.05)
    assert linear_warnings(table, np.nan, 0.196, 0.95, make_bound(options), "bits") == []  # a diverged fit's own reason


def test_a_separable_critic_short_of_a_many_dimensional_gaussian_is_flagged():
    """20+20-D Gaussians with 2 bits from 5000 samples: the default critic learns about half (too many dimensions
    for its training), the linear critic on the same split nearly all, so the result is not reliable and says
    why; the fit table carries the linear bound."""
    x, y = correlated_gaussian(5000, 20, 20, 2.0, seed=0)
    result = neuralmi.run(x, y, seed=0, progress=False, threads=2)
    linear = float(result.fits["linear_mi"].iloc[0])
    assert result.mi < 1.5 and linear > 1.7
    assert not result.reliable and any("linear-Gaussian critic" in r for r in result.reasons)
