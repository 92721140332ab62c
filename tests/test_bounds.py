"""Each bound, given its optimal critic on samples of a known Gaussian, recovers the true MI."""

import math

import numpy as np
import pytest
import torch

from neuralmi.bounds import batch_stats, estimate, make_bound, row_stats
from neuralmi.options import make_options

RHO = 0.8
TRUE_NATS = -0.5 * math.log(1 - RHO**2)


def log_ratio(n=3000, seed=0):
    """log p(x_i, y_j) / (p(x_i) p(y_j)) for every pair of a 1-D Gaussian sample with correlation RHO."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    y = RHO * x + math.sqrt(1 - RHO**2) * rng.standard_normal(n)
    xi, yj = x[:, None], y[None, :]
    q = (RHO**2 * xi**2 - 2 * RHO * xi * yj + RHO**2 * yj**2) / (2 * (1 - RHO**2))
    return torch.tensor(TRUE_NATS - q, dtype=torch.float64)[None]


@pytest.mark.parametrize("name, shift", [("infonce", 0), ("nwj", 1), ("tuba", 0), ("mine", 0), ("flo", 0), ("js", 0),
                                         ("smile", 0)])
def test_optimal_critic_recovers_true_mi(name, shift):
    """FLO with its optimal u = log E_{y'} e^{s(x,y') - s(x,y)}, -s(x, y) for the true log density ratio."""
    bound = make_bound(make_options({"bound": name, "smile_tau": 20.0}))
    scores = log_ratio() + shift
    stats = batch_stats(scores, bound.off_transform)
    if bound.needs_shift:
        stats.shift = -stats.diag
    valid = torch.ones_like(stats.diag, dtype=torch.bool)
    mean, se = estimate(bound, stats, torch.zeros(1, 1, dtype=torch.float64), valid)
    assert abs(mean.item() - TRUE_NATS) < 4 * se.item() + 0.01
    assert 0.005 < se.item() < 0.05


def test_flo_is_largest_at_the_fenchel_optimum_and_has_no_log_n_ceiling():
    """-log m >= 1 - u - e^{-u} m with equality at u = log m: row by row, u = lme_off - s_ii gives
    s_ii - lme_off and any other u less. With u learned from other negatives than those scored (a second draw
    of the off-diagonal scores), the value of a sharp critic (positives 50 nats above the rest) lies far above
    InfoNCE's log(64) ceiling."""
    bound = make_bound(make_options({"bound": "flo"}))
    sharp = 50 * torch.eye(64, dtype=torch.float64)[None]
    stats = batch_stats(sharp + 0.1 * log_ratio(n=64))
    valid = torch.ones_like(stats.diag, dtype=torch.bool)
    stats.shift = stats.lme_off - stats.diag
    best = bound.rows(stats, None, valid)
    torch.testing.assert_close(best, stats.diag - stats.lme_off)
    for offset in (-2.0, -0.1, 0.1, 2.0):
        stats.shift = stats.lme_off - stats.diag + offset
        assert (bound.rows(stats, None, valid) < best).all()
    learned = batch_stats(sharp + 0.1 * log_ratio(n=64, seed=1))
    stats.shift = learned.lme_off - learned.diag
    assert bound.rows(stats, None, valid).mean().item() > math.log(64) + 40


def test_infonce_never_exceeds_log_n():
    bound = make_bound(make_options({"bound": "infonce"}))
    scores = 50 * torch.eye(64, dtype=torch.float64)[None]
    stats = batch_stats(scores)
    mean, _ = estimate(bound, stats, torch.zeros(1, 1), torch.ones(1, 64, dtype=torch.bool))
    assert mean.item() <= math.log(64) + 1e-9
    assert mean.item() == pytest.approx(math.log(64), abs=1e-6)


@pytest.mark.parametrize("name", ["infonce", "nwj", "mine", "smile"])
def test_row_blocks_with_padding_equal_the_whole_matrix(name):
    """Streaming row blocks over a padded score matrix give the same rows as the whole unpadded matrix."""
    bound = make_bound(make_options({"bound": name}))
    scores = log_ratio(n=50)
    whole = batch_stats(scores, bound.off_transform)
    padded = torch.nn.functional.pad(scores, (0, 7, 0, 7), value=3.0)
    valid = torch.arange(57)[None] < 50
    cols = torch.arange(57)
    parts = []
    for r0 in range(0, 57, 13):
        block = padded[:, r0 : r0 + 13]
        diag = (cols[None] == torch.arange(r0, r0 + block.shape[1])[:, None])[None]
        parts.append(row_stats(block, diag, valid[:, None, :], bound.off_transform))
    fields = ("diag", "lse_all", "lme_off", "count")
    streamed = {f: torch.cat([getattr(p, f) for p in parts], 1)[:, :50] for f in fields}
    for f in fields:
        torch.testing.assert_close(streamed[f], getattr(whole, f))
    params = torch.zeros(1, 1, dtype=torch.float64)
    a = estimate(bound, whole, params, torch.ones(1, 50, dtype=torch.bool))
    b = estimate(bound, type(whole)(**{f: torch.cat([getattr(p, f) for p in parts], 1) for f in fields}), params, valid)
    torch.testing.assert_close(a, b)


def test_mine_moving_average_starts_at_the_first_batch_and_then_blends():
    bound = make_bound(make_options({"bound": "mine", "mine_ema": 0.5}))
    state = bound.init_state(1, "cpu")
    scores = log_ratio(n=40)
    bound.objective(scores, None, state)
    first = state["log_ema"].clone()
    bound.objective(scores + 1.0, None, state)
    expected = torch.logaddexp(first + math.log(0.5), first + 1.0 + math.log(0.5))
    torch.testing.assert_close(state["log_ema"], expected.to(state["log_ema"].dtype))


def _gap(name, scores, tau=5.0):
    bound = make_bound(make_options({"bound": name, "smile_tau": tau}))
    stats = batch_stats(scores, bound.off_transform)
    valid = torch.ones_like(stats.diag, dtype=torch.bool)
    params = torch.zeros(1, 1, dtype=torch.float64)
    return bound.gap(stats, params, valid).item(), estimate(bound, stats, params, valid)[0].item(), stats


def test_infonce_gap_measures_its_shortfall_from_few_negatives():
    """With the optimal critic the shortfall is small for a 0.5-nat pair (about chi^2 / n) and leaving the
    positives out moves InfoNCE past the truth by about as much as it fell short; a saturated bound (positives
    taking all the weight) shows a gap of many nats."""
    gap, value, _ = _gap("infonce", log_ratio())
    assert 0 < gap < 0.01
    assert value < TRUE_NATS + 0.02 and abs((value + gap) - TRUE_NATS) < 0.05
    saturated, _, _ = _gap("infonce", 30 * torch.eye(200, dtype=torch.float64)[None])
    assert saturated > 5


def test_smile_gap_is_the_excess_from_clipping():
    """Scores within +-tau are not clipped (no gap); large off-diagonal scores are, and the clipped partition
    term raises SMILE above the critic's own Donsker-Varadhan value by exactly the gap."""
    small, _, _ = _gap("smile", log_ratio(), tau=20.0)
    assert abs(small) < 1e-9
    scores = log_ratio(500) * 4
    gap, value, stats = _gap("smile", scores, tau=2.0)
    dv, _, _ = _gap("smile", scores, tau=1e6)
    unclipped_value = _gap("smile", scores, tau=1e6)[1]
    assert gap > 0.1 and dv == pytest.approx(0.0, abs=1e-9)
    assert value - unclipped_value == pytest.approx(gap, rel=1e-6)


def test_lower_bounds_gap_is_the_infonce_value_of_their_critic_above_them():
    """NWJ with a critic that misses its normalisation by 1 nat (scores shifted down by 1 from the optimum
    log r + 1) is loose; its critic's InfoNCE value is not affected by a shift, so the gap shows it."""
    gap, value, _ = _gap("nwj", log_ratio())
    _, infonce, _ = _gap("infonce", log_ratio())
    assert gap == pytest.approx(infonce - value, abs=1e-9)
    assert gap > 0.2


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA device"))])
def test_floored_logsumexp_equals_torchs_on_ordinary_sharp_masked_and_infinite_rows(device):
    """The floor at e^-87 of each row's largest term (kept off CPUs' slow underflow path) changes no float32
    value: sharp rows whose other terms underflow, masked entries, infinite rows; gradients agree too."""
    from neuralmi.bounds.rows import _logsumexp

    torch.manual_seed(0)
    rows = torch.cat([torch.randn(4, 300), 60 * torch.randn(4, 300), torch.full((1, 300), torch.finfo(torch.float32).min),
                      torch.tensor([[float("inf")] + [0.0] * 299, [-float("inf")] * 300])]).to(device)
    torch.testing.assert_close(_logsumexp(rows), torch.logsumexp(rows, -1), rtol=1e-6, atol=0)
    a = (60 * torch.randn(3, 200, device=device)).requires_grad_(True)
    b = a.detach().clone().requires_grad_(True)
    _logsumexp(a).sum().backward()
    torch.logsumexp(b, -1).sum().backward()
    torch.testing.assert_close(a.grad, b.grad)
