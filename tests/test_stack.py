"""The model stack: its batched path for the common critic agrees with running each member alone."""

import pytest
import torch

from neuralmi.nets.factory import make_critic
from neuralmi.nets.stack import ModelStack
from neuralmi.options import make_options


def stack_of(options, seeds=(1, 2, 3), shape=(3,)):
    return ModelStack(lambda m: make_critic(options, shape, shape), list(seeds), torch.device("cpu"))


def lone(options, seed, shape=(3,)):
    torch.manual_seed(seed)
    return make_critic(options, shape, shape)


SCALES = torch.tensor([0.3, -0.2, 0.5])
"""Learned log-scales set on the members of a stack (each starts at 0), so that each member's own is checked."""


@pytest.mark.parametrize("marginal", [False, True])
@pytest.mark.parametrize("activation", ["silu", "relu", "tanh"])
@pytest.mark.parametrize("scaled", [False, True])
def test_batched_separable_critic_matches_each_member(marginal, activation, scaled):
    options = make_options({"hidden_dim": 8, "embedding_dim": 4, "marginal_terms": marginal, "activation": activation,
                            "learned_scale": scaled})
    stack = stack_of(options)
    assert stack.batched is not None
    if scaled:
        stack.params["log_scale"].data.copy_(SCALES)
    x, y = torch.randn(3, 10, 3), torch.randn(3, 12, 3)
    scores = stack.call("score", x, y)
    ex, ey = stack.call("encode", x, y)
    train, penalty = stack.call("train", x, y[:, :10])
    assert scores.shape == (3, 10, 12) and train.shape == (3, 10, 10) and penalty.shape == (3,)
    for m, seed in enumerate((1, 2, 3)):
        critic = lone(options, seed)
        with torch.no_grad():
            if scaled:
                critic.log_scale.copy_(SCALES[m])
            torch.testing.assert_close(scores[m], critic(*critic(x[m], y[m], op="encode"), op="pair"))
            torch.testing.assert_close(ex[m], critic.encode_x(x[m]))
            torch.testing.assert_close(train[m], critic(x[m], y[m, :10])[0])
        torch.testing.assert_close(stack.call("pair", ex, ey)[m], scores[m])


@pytest.mark.parametrize("scaled", [False, True])
def test_batched_path_gradients_match_the_vmap_path(scaled):
    options = make_options({"hidden_dim": 8, "embedding_dim": 4, "learned_scale": scaled})
    batched, general = stack_of(options), stack_of(options)
    general.batched = None
    if scaled:
        for stack in (batched, general):
            stack.params["log_scale"].data.copy_(SCALES)
    x, y = torch.randn(3, 16, 3), torch.randn(3, 16, 3)
    for stack in (batched, general):
        scores, _ = stack.call("train", x, y)
        torch.log_softmax(scores, -1).diagonal(dim1=-2, dim2=-1).sum().backward()
    assert ("log_scale" in batched.params) == scaled
    for name in batched.params:
        torch.testing.assert_close(batched.params[name].grad, general.params[name].grad)


@pytest.mark.parametrize("overrides", [{"critic": "joint"}, {"critic": "probabilistic"}, {"embedding": "cnn"}])
def test_other_critics_and_embeddings_run_through_vmap(overrides):
    options = make_options({"hidden_dim": 8, "embedding_dim": 4, **overrides})
    shape = (6, 2) if "embedding" in overrides else (3,)
    assert stack_of(options, shape=shape).batched is None
