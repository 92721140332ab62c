"""Bad arrays raise one clear InputError naming the problem, before any training."""

import numpy as np
import pytest

import neuralmi

X = np.random.default_rng(0).standard_normal((200, 3))


@pytest.mark.parametrize(
    "x, y, fragment",
    [
        (np.where(np.arange(600).reshape(200, 3) == 7, np.nan, X), X, "x: contains NaN values in 1 sample(s), first at row 2"),
        (X, np.where(np.arange(600).reshape(200, 3) == 50, np.inf, X), "y: contains infinite values"),
        (X, X[:150], "different numbers of samples, x has 200 and y has 150"),
        (X.reshape(200, 3, 1), X, "x: expected a 2-D array (n_samples, n_features), found shape (200, 3, 1)"),
        (X[:6], X[:6], "too few samples for the train/validation split"),
        ([["a", "b"]] * 10, X[:10], "x: expected a numeric array"),
    ],
)
def test_bad_arrays(x, y, fragment):
    with pytest.raises(neuralmi.InputError) as err:
        neuralmi.run(x, y)
    assert fragment in str(err.value)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"mode": "fast"}, "mode: expected one of"),
        ({"units": "bans"}, "units: expected one of"),
        ({"seed": -1}, "seed: expected a non-negative integer"),
        ({"bound": "dv"}, "'bound': expected one of"),
        ({"critic": "cosine"}, "'critic': expected one of"),
        ({"patience": 0}, "'patience'"),
        ({"mode": "rigorous", "split": "indices", "validation_indices": [1, 2]}, "the subsample-and-extrapolate plan (rigorous mode"),
    ],
)
def test_bad_arguments(kwargs, fragment):
    with pytest.raises(neuralmi.InputError) as err:
        neuralmi.run(X, X, **kwargs)
    assert fragment in str(err.value)


def test_too_few_samples_for_the_largest_gamma(fast):
    with pytest.raises(neuralmi.InputError, match="too few samples"):
        neuralmi.run(X[:40], X[:40], mode="rigorous", **fast)


def test_windowed_embeddings_need_windows(fast):
    with pytest.raises(neuralmi.InputError, match="expected a 3-D array"):
        neuralmi.run(X, X, embedding="gru", **fast)
