"""Splits and partitions: sizes, disjointness, contiguity and gaps, exactly."""

import numpy as np
import pytest

from neuralmi.errors import InputError
from neuralmi.training.splits import blocked_folds, blocked_split, index_split, partition, random_split


def test_random_split_is_a_seeded_partition():
    train, val = random_split(1000, 0.2, 3)
    assert len(val) == 200 and len(train) == 800
    assert np.array_equal(np.union1d(train, val), np.arange(1000))
    assert np.array_equal(random_split(1000, 0.2, 3)[1], val)
    assert not np.array_equal(random_split(1000, 0.2, 4)[1], val)


def test_blocked_split_holds_out_contiguous_blocks_with_gaps():
    train, val = blocked_split(1000, 0.2, n_blocks=4, gap=5, seed=0)
    assert len(val) == 200
    breaks = np.flatnonzero(np.diff(val) > 1)
    assert len(breaks) <= 3
    for lo, hi in zip(np.r_[val[0], val[breaks + 1]], np.r_[val[breaks], val[-1]]):
        near = np.arange(max(0, lo - 5), min(1000, hi + 6))
        assert not np.intersect1d(train, near).size
    assert len(train) >= 1000 - 200 - 4 * 2 * 5


def test_blocked_folds_hold_out_every_sample_once_with_gaps():
    folds = blocked_folds(1003, 4, n_blocks=3, gap=5, seed=0)
    held_out = np.concatenate([val for _, val in folds])
    assert np.array_equal(np.sort(held_out), np.arange(1003))
    edges = np.linspace(0, 1003, 13).round().astype(int)
    for train, val in folds:
        assert 245 <= len(val) <= 256
        segments = np.flatnonzero(np.isin(edges[:-1], val))
        assert len(segments) == 3  # three whole segments
        assert np.array_equal(val, np.concatenate([np.arange(edges[s], edges[s + 1]) for s in segments]))
        near = np.unique(np.clip(val[:, None] + np.arange(-5, 6), 0, 1002))
        assert not np.intersect1d(train, near).size and len(train) >= 1003 - len(val) - 3 * 2 * 5
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, blocked_folds(1003, 4, 3, 5, seed=0)))
    assert not all(np.array_equal(a[1], b[1]) for a, b in zip(folds, blocked_folds(1003, 4, 3, 5, seed=1)))
    with pytest.raises(InputError, match="20 samples cannot form 4 folds of 6 blocks"):
        blocked_folds(20, 4, 6, 0, seed=0)


def test_index_split_and_its_errors():
    train, val = index_split(20, [9, 2, 5, 7, 5])
    assert val.tolist() == [2, 5, 7, 9] and len(train) == 16
    with pytest.raises(InputError, match=r"must lie in \[0, 19\]"):
        index_split(20, [3, 22])


@pytest.mark.parametrize("contiguous", [True, False])
def test_partition_gives_disjoint_equal_subsets(contiguous):
    subsets = partition(103, 4, contiguous, seed=1)
    assert [len(s) for s in subsets] == [25] * 4
    joined = np.concatenate(subsets)
    assert len(np.unique(joined)) == 100
    if contiguous:
        assert all(np.array_equal(s, np.arange(s[0], s[0] + 25)) for s in subsets)
        assert subsets[0][0] == 0


def test_too_small_split_is_an_error():
    with pytest.raises(InputError, match="too few samples"):
        random_split(10, 0.2, 0)
