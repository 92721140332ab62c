"""The stacked trainer: determinism, stacks equal lone fits, sizes coexist, every critic/bound/embedding runs."""

import dataclasses

import numpy as np
import pytest
import torch

from tolerance import same_numbers
import neuralmi.training.blocks as blocks_module
import neuralmi.training.loop as loop
import neuralmi.training.memory as memory
import neuralmi.training.scoring as scoring
from neuralmi.bounds import BOUNDS, row_stats
from neuralmi.data.generators import correlated_gaussian
from neuralmi.errors import InputError
from neuralmi.nets.factory import CRITICS, DENSITY_CRITICS
from neuralmi.options import make_options
from neuralmi.training.splits import random_split
from neuralmi.training.smoothing import PATIENCE_FRACTION, should_stop
from neuralmi.training.specs import FitSpec
from neuralmi.training.trainer import train_fits


def data(n=400, mi=1.0, seed=0):
    x, y = correlated_gaussian(n, 3, 3, mi, seed=seed)
    return x.astype(np.float32), y.astype(np.float32)


def specs_for(sizes, seed=0):
    specs, start = [], 0
    for i, size in enumerate(sizes):
        idx = np.arange(start, start + size)
        train, val = random_split(size, 0.25, [seed, i])
        specs.append(FitSpec(idx[train], idx[val], seed=100 + i))
        start += size
    return specs


def curves(fits):
    return [(f.val_curve, f.train_curve) for f in fits]


def test_same_seed_gives_identical_numbers(fast):
    x, y = data()
    options = make_options(fast)
    a = train_fits(x, y, specs_for([200, 100, 100]), options)
    b = train_fits(x, y, specs_for([200, 100, 100]), options)
    for (va, ta), (vb, tb) in zip(curves(a), curves(b)):
        assert np.array_equal(va, vb) and np.array_equal(ta, tb)


@pytest.mark.parametrize("block, bound, critic", [(8192, "infonce", "separable"), (40, "infonce", "separable"),
                                                  (40, "flo", "separable"), (40, "infonce", "joint"),
                                                  (40, "infonce", "hybrid"), (40, "infonce", "probabilistic")])
def test_a_stack_equals_its_members_trained_alone(fast, block, bound, critic):
    """Bit for bit on CPU, with subsets of different sizes sharing the stack (and, with small evaluation
    blocks, held-out sets cut into blocks of unequal sizes); FLO's second network too; the critics that run through
    vmap (the pair heads, the probabilistic critic) too, since MKL's matrix products no longer depend on their thread
    split (neuralmi/kernels.py)."""
    x, y = data(n=1200)
    options = make_options({**fast, "max_epochs": 8, "eval_block_size": block, "device": "cpu", "bound": bound,
                            "critic": critic})
    specs = specs_for([400, 360, 300, 140])
    together = train_fits(x, y, specs, options)
    for spec, fit in zip(specs, together):
        alone = train_fits(x, y, [spec], options)[0]
        assert alone.n_epochs == fit.n_epochs
        assert same_numbers(alone.val_curve, fit.val_curve)
        assert same_numbers(alone.train_curve, fit.train_curve)


def test_sizes_coexist_and_stopped_members_stay_frozen(fast):
    """A small subset runs more epochs per step; members that stop keep their curves and leave the stack."""
    x, y = data(n=600)
    options = make_options({**fast, "max_epochs": 40, "patience": 2})
    fits = train_fits(x, y, specs_for([400, 100, 100]), options)
    for fit in fits:
        assert fit.n_epochs == len(fit.val_curve) <= 40
        if fit.stopped_early:
            assert fit.n_epochs - 1 - fit.best_epoch >= 2
    assert fits[0].n_train == 300 and fits[1].n_train == 75


@pytest.mark.parametrize("every", [1, 3])
def test_deferred_scoring_changes_nothing_and_stops_where_patience_runs_out(fast, monkeypatch, every):
    """Epoch ends are scored EVAL_EVERY steps late; members that trained on past their stop are cut back there
    (bit for bit on CPU)."""
    x, y = data(n=600)
    options = make_options({**fast, "max_epochs": 60, "patience": 3, "learning_rate": 0.02, "device": "cpu"})
    specs = specs_for([400, 100, 100])
    deferred = train_fits(x, y, specs, options)
    monkeypatch.setattr(loop, "EVAL_EVERY", every)
    prompt = train_fits(x, y, specs, options)
    for a, b in zip(deferred, prompt):
        assert a.n_epochs == b.n_epochs and a.best_epoch == b.best_epoch
        assert np.array_equal(a.val_curve, b.val_curve) and np.array_equal(a.train_curve, b.train_curve)
    stopped = [f for f in deferred if f.stopped_early]
    assert stopped
    for f in stopped:
        steps = (f.eval_epochs + 1) * (f.n_train // fast["batch_size"])
        assert not any(should_stop(f.val_curve[:e], steps[:e], 3, PATIENCE_FRACTION, options.median_window,
                                   options.smoothing_sigma) for e in range(1, f.n_epochs))


def test_held_out_blocks_do_not_change_the_result(fast, monkeypatch):
    x, y = data()
    options = make_options(fast)
    whole = train_fits(x, y, specs_for([400]), options)
    monkeypatch.setattr(memory, "EVAL_FLOATS", 500)
    blocked = train_fits(x, y, specs_for([400]), options)
    np.testing.assert_allclose(whole[0].val_curve, blocked[0].val_curve, rtol=1e-5, atol=1e-6)


def test_evaluation_blocks_at_least_the_set_size_change_nothing(fast):
    x, y = data()
    specs = specs_for([400])
    whole = train_fits(x, y, specs, make_options({**fast, "eval_block_size": None}))[0]
    block = train_fits(x, y, specs, make_options({**fast, "eval_block_size": len(specs[0].val)}))[0]
    assert np.array_equal(whole.val_curve, block.val_curve) and np.array_equal(whole.train_curve, block.train_curve)
    assert whole.eval_n == block.eval_n == whole.n_val == 100


def test_small_evaluation_blocks_bound_the_pairs_and_keep_the_estimate(fast, monkeypatch):
    """Only pairs within blocks are scored; on easy data the estimate stays close to the all-pairs one."""
    shapes = []

    def recording(block, *args, **kwargs):
        shapes.append(block.shape)
        stats = row_stats(block, *args, **kwargs)
        assert stats.diag.untyped_storage().data_ptr() != block.untyped_storage().data_ptr()  # blocks are freed
        return stats

    x, y = data(n=2000, mi=1.0)
    specs = [FitSpec(np.arange(0, 1600), np.arange(1600, 2000), seed=3)]
    options = {**fast, "max_epochs": 5, "patience": None, "batch_size": 64, "learning_rate": 0.01}
    whole = train_fits(x, y, specs, make_options(options))[0]
    monkeypatch.setattr(scoring, "row_stats", recording)
    block = train_fits(x, y, specs, make_options({**options, "eval_block_size": 70}))[0]
    assert max(shape[-1] for shape in shapes) == 67 and block.eval_n == 66  # 6 blocks of 66 or 67 samples
    # per member: epochs x (6 held-out + 23 whole training blocks of the held-out blocks' size, 1541 of the 1600
    # training samples) x pairs, not 400**2
    assert sum(np.prod(shape[-2:]) for shape in shapes) == 5 * (6 + 23) * 67**2
    assert len({shape[0] for shape in shapes}) == 1  # every call scores a chunk of one fixed member count
    assert np.isfinite(block.val_curve).all() and np.isfinite(block.val_se_curve).all()
    np.testing.assert_allclose(block.val_curve, whole.val_curve, atol=0.05)
    np.testing.assert_allclose(block.train_curve, whole.train_curve, atol=0.05)
    assert (block.val_curve <= np.log(67)).all()


def test_evaluation_blocks_cut_in_a_fixed_order_of_near_equal_sizes():
    rng = np.random.default_rng(0)
    blocks = blocks_module.eval_blocks(np.arange(10, 311), 100, rng)
    assert blocks.index.shape == (4, 76) and blocks.smallest() == 75
    assert list(blocks.valid.sum(1)) == [75, 75, 75, 76]
    assert np.array_equal(np.sort(blocks.index[blocks.valid]), np.arange(10, 311))
    same = blocks_module.eval_blocks(np.arange(10, 311), 100, np.random.default_rng(0))
    assert np.array_equal(blocks.index, same.index)
    even = blocks_module.eval_blocks(np.arange(600), 200, rng)
    assert even.valid is None and even.index.shape == (3, 200) and even.smallest() == 200
    whole = blocks_module.eval_blocks(np.arange(600), 600, rng)
    assert whole.valid is None and np.array_equal(whole.index[0], np.arange(600)) and whole.smallest() == 600


SCORE_BOUNDS = sorted(b for b, make in BOUNDS.items() if not make(make_options({})).needs_density)
DENSITY_BOUNDS = sorted(b for b, make in BOUNDS.items() if make(make_options({})).needs_density)


@pytest.mark.parametrize("bound", SCORE_BOUNDS)
@pytest.mark.parametrize("critic", sorted({**CRITICS, **DENSITY_CRITICS}))
def test_every_bound_and_critic_trains(fast, bound, critic):
    x, y = data(n=200, mi=2.0)
    fits = train_fits(x, y, specs_for([100, 100]), make_options({**fast, "bound": bound, "critic": critic}))
    for fit in fits:
        assert np.isfinite(fit.val_curve).all() and np.isfinite(fit.train_mi)


KNOWN_ENTROPY = {"y_entropy_nats": 0.0, "rank_transform": False}
"""Barber-Agakov's options in trainer tests, where the entropy's value only shifts the estimate."""


@pytest.mark.parametrize("bound", DENSITY_BOUNDS)
@pytest.mark.parametrize("critic", sorted(DENSITY_CRITICS))
def test_the_density_bounds_train_on_density_critics(fast, bound, critic):
    x, y = data(n=200, mi=2.0)
    options = make_options({**fast, "bound": bound, "critic": critic, "mixture_components": 2, "flow_layers": 2,
                            **(KNOWN_ENTROPY if bound.startswith("ba") else {})})
    for fit in train_fits(x, y, specs_for([100, 100]), options):
        assert np.isfinite(fit.val_curve).all() and np.isfinite(fit.train_mi) and np.isfinite(fit.bound_gap)


@pytest.mark.parametrize("critic", ["separable", "joint", "hybrid", "probabilistic"])
def test_a_density_bound_on_a_critic_without_densities_is_an_error(fast, critic):
    x, y = data(n=200)
    with pytest.raises(InputError, match=f"bound 'doe' needs a learned conditional density.*found '{critic}'"):
        train_fits(x, y, specs_for([100]), make_options({**fast, "bound": "doe", "critic": critic}))


@pytest.mark.parametrize("critic, bound", [("gaussian", "doe"), ("flow", "doe"), ("gaussian", "ba"),
                                           ("gaussian", "ba_hybrid")])
def test_a_stack_of_density_critics_equals_its_members_trained_alone(fast, critic, bound):
    """Density critics run through the generic vectorised stack: bit for bit on CPU, with a mixture and held-out
    sets cut into blocks of unequal sizes (Barber-Agakov: each member's own standardisation undone; the hybrid
    bound: each member's own draws from q(y|x))."""
    x, y = data(n=1200)
    options = make_options({**fast, "max_epochs": 5, "eval_block_size": 40, "device": "cpu", "critic": critic,
                            "bound": bound, "mixture_components": 2, "flow_layers": 2,
                            **(KNOWN_ENTROPY if bound.startswith("ba") else {})})
    specs = specs_for([400, 300, 140])
    together = train_fits(x, y, specs, options)
    for spec, fit in zip(specs, together):
        alone = train_fits(x, y, [spec], options)[0]
        assert np.array_equal(alone.val_curve, fit.val_curve)
        assert np.array_equal(alone.train_curve, fit.train_curve)
        assert np.array_equal(alone.val_gap_curve, fit.val_gap_curve)


def test_barber_agakov_undoes_the_standardisation_of_every_time_point_of_a_window(fast):
    """Windows (n, 8, 2) standardised per channel: Y times 10 shifts the log-density of one window by
    16 log 10 nats, which an entropy raised by as much cancels, epoch by epoch."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 8, 2)).astype(np.float32)
    y = (x + 0.5 * rng.standard_normal(x.shape)).astype(np.float32)
    options = make_options({**fast, "embedding": "cnn", "n_layers": 1, "critic": "gaussian", "bound": "ba",
                            **KNOWN_ENTROPY})
    plain = train_fits(x, y, specs_for([200]), options)[0]
    scaled = train_fits(x, 10 * y, specs_for([200]), options.replace(y_entropy_nats=16 * np.log(10)))[0]
    np.testing.assert_allclose(scaled.val_curve, plain.val_curve, atol=1e-3)
    assert plain.n_epochs == scaled.n_epochs


@pytest.mark.parametrize("embedding, critic", [("cnn", "separable"), ("gru", "separable"), ("cnn", "gaussian")])
def test_windowed_embeddings(fast, embedding, critic):
    """Windows (n, window, channels); a density critic models Y's flattened windows."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 8, 2)).astype(np.float32)
    y = (x + 0.5 * rng.standard_normal(x.shape)).astype(np.float32)
    options = make_options({**fast, "embedding": embedding, "n_layers": 1, "critic": critic})
    fits = train_fits(x, y, specs_for([200]), options)
    assert np.isfinite(fits[0].val_curve).all()


def test_user_supplied_embedding(fast):
    built = []

    def factory(input_shape, out_dim):
        built.append(input_shape)
        return torch.nn.Sequential(torch.nn.Linear(input_shape[0], 8), torch.nn.Tanh(), torch.nn.Linear(8, out_dim))

    x, y = data()
    fits = train_fits(x, y, specs_for([200, 200]), make_options({**fast, "embedding": factory}))
    assert built[:2] == [(3,), (3,)]
    assert all(np.isfinite(f.val_mi) for f in fits)


def test_user_supplied_module_is_copied_and_reinitialised(fast):
    module = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 4))
    before = [p.detach().clone() for p in module.parameters()]
    x, y = data()
    fits = train_fits(x, y, specs_for([200, 200]), make_options({**fast, "embedding": module}))
    assert all(np.isfinite(f.val_mi) for f in fits)
    assert fits[0].val_curve[0] != fits[1].val_curve[0]
    assert all(torch.equal(a, b) for a, b in zip(before, module.parameters()))


def test_members_with_equal_held_out_but_different_training_eval_sizes(fast):
    """A large held-out share makes the training-subset score set min(n_val, n_train) differ between members."""
    x, y = data()
    specs = [FitSpec(np.arange(0, 5), np.arange(5, 12), seed=1), FitSpec(np.arange(20, 26), np.arange(26, 33), seed=2)]
    fits = train_fits(x, y, specs, make_options({**fast, "batch_size": 4}))
    assert [f.n_train for f in fits] == [5, 6] and all(np.isfinite(f.val_mi) for f in fits)


def test_spaced_evaluations_score_the_same_epochs_as_scoring_every_epoch(fast):
    """Evaluation never changes training: a fit scored every ceil(eval_interval / steps per epoch) epochs has,
    at those epochs, exactly the curve of the same fit scored every epoch, and is always scored at its last."""
    x, y = data(n=1000)
    base = {**fast, "max_epochs": 23, "patience": None}
    specs = specs_for([800, 200])                      # 18 and 4 steps per epoch at batch 32
    every = train_fits(x, y, specs, make_options({**base, "eval_interval": 1}))
    spaced = train_fits(x, y, specs, make_options({**base, "eval_interval": 8}))
    assert list(spaced[0].eval_epochs) == list(range(23))
    assert list(spaced[1].eval_epochs) == [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 22]
    for a, b in zip(every, spaced):
        assert np.array_equal(a.val_curve[b.eval_epochs], b.val_curve)
        assert np.array_equal(a.train_curve[b.eval_epochs], b.train_curve)
        assert b.n_epochs == 23 and b.best_epoch in set(b.eval_epochs)


def test_patience_counts_evaluations(fast):
    x, y = data(n=600)
    options = make_options({**fast, "max_epochs": 200, "patience": 2, "eval_interval": 12, "learning_rate": 0.02})
    fit = train_fits(x, y, specs_for([200]), options)[0]          # 4 steps per epoch: scored every 3rd epoch
    assert fit.stopped_early
    assert np.all(np.diff(fit.eval_epochs) == 3)
    stop_at = list(fit.eval_epochs).index(fit.n_epochs - 1)
    assert stop_at - list(fit.eval_epochs).index(fit.best_epoch) >= 2


@pytest.mark.parametrize("fraction", [0.0, 0.5, 2.0])
def test_a_fit_trains_on_past_its_best_for_a_fraction_of_the_steps_it_took(fast, fraction):
    """Beside patience's evaluations, a fit stops only once the steps since its best evaluation reach
    `patience_fraction` of the steps up to it: at its first evaluation where both hold (4 steps per epoch)."""
    x, y = data(n=600)
    options = make_options({**fast, "max_epochs": 400, "patience": 2, "patience_fraction": fraction,
                            "learning_rate": 0.02})
    fit = train_fits(x, y, specs_for([200]), options)[0]
    steps = (fit.eval_epochs + 1) * 4
    best = list(fit.eval_epochs).index(fit.best_epoch)
    assert fit.stopped_early and len(steps) - 1 - best >= 2
    assert steps[-1] - steps[best] >= fraction * steps[best]
    assert not should_stop(fit.val_curve[:-1], steps[:-1], 2, fraction, options.median_window,
                           options.smoothing_sigma)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("own", [{}, {"bound": "flo"}, {"critic": "gaussian", "bound": "doe", "mixture_components": 2},
                                 {"critic": "flow", "bound": "l1out", "flow_layers": 2}])
def test_a_stack_matches_its_members_trained_alone_on_cuda(fast, own):
    """On a GPU, batched products may round differently for different batch counts: equal to float32 precision
    rather than bit for bit, and the same epochs; FLO's second network and density critics too."""
    x, y = data(n=1200)
    options = make_options({**fast, "max_epochs": 8, "device": "cuda", **own})
    specs = specs_for([400, 360, 300, 140])
    together = train_fits(x, y, specs, options)
    for spec, fit in zip(specs, together):
        alone = train_fits(x, y, [spec], options)[0]
        assert alone.n_epochs == fit.n_epochs
        np.testing.assert_allclose(alone.val_curve, fit.val_curve, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(alone.train_curve, fit.train_curve, rtol=1e-4, atol=1e-6)


def test_training_samples_are_scored_in_whole_blocks_of_the_held_out_size():
    """The training-subset value must carry the held-out value's InfoNCE ceiling: only whole blocks of the
    held-out width (a 1333-sample training set against 333 held-out samples gives 4 blocks of 333, not 5 of
    267), all samples when fewer than one block, and about TRAIN_EVAL_MAX at most."""
    from neuralmi.training.blocks import TRAIN_EVAL_MAX, training_eval_size

    assert training_eval_size(1333, 333) == 4 * 333
    assert training_eval_size(4000, 1000) == 4000
    assert training_eval_size(250, 333) == 250
    assert training_eval_size(10**6, 8192) == TRAIN_EVAL_MAX // 8192 * 8192
    x, y = data(n=1666)
    spec = FitSpec(np.arange(333, 1666), np.arange(333), seed=1)
    fit = train_fits(x, y, [spec], make_options({"max_epochs": 2, "patience": None, "hidden_dim": 8}))[0]
    assert fit.eval_n == 333 and np.isfinite(fit.train_curve).all()


def test_kept_held_out_terms_are_those_of_the_selected_evaluation_and_change_nothing(fast):
    """keep_terms returns the selected evaluation's per-sample held-out terms in sample order: their mean is that
    evaluation's value and their spread its error, with or without blocks; the fit is otherwise the same bits."""
    x, y = data(n=900)
    spec = FitSpec(np.arange(200, 900), np.arange(200), seed=4)
    for block in (None, 64):
        options = make_options({**fast, "max_epochs": 5, "patience": None, "eval_block_size": block})
        kept, plain = train_fits(x, y, [dataclasses.replace(spec, keep_terms=True), spec], options)
        best = list(kept.eval_epochs).index(kept.best_epoch)
        terms = kept.val_terms.astype(np.float64)
        assert terms.shape == (200,) and plain.val_terms is None
        assert terms.mean() == pytest.approx(kept.val_curve[best], rel=1e-6)
        assert terms.std(ddof=1) / np.sqrt(200) == pytest.approx(kept.se, rel=1e-6)
        assert np.array_equal(kept.val_curve, plain.val_curve) and np.array_equal(kept.train_curve, plain.train_curve)


def test_kept_terms_come_back_in_sorted_sample_order_without_padding():
    """Rows are scored in each set's shuffled block order with padded short blocks; the kept terms are mapped back
    to sorted sample order, padding dropped (here each row's term is its own sample index)."""
    blocks = blocks_module.Blocks(5, np.array([[9, 2, 7], [4, 5, 0]]), np.array([[True, True, True], [True, True, False]]))
    terms = np.array([9.0, 2.0, 7.0, 4.0, 5.0, -1.0])
    np.testing.assert_array_equal(blocks_module.in_sample_order(terms, blocks), [2, 4, 5, 7, 9])
