"""Embedding networks: one side's samples (n, *input_shape) to vectors (n, embedding_dim).

Built one model at a time from plain torch layers so that any number of copies can be stacked and run
vectorised (see nets/stack.py). Wherever a name is accepted, a user may pass a factory
`f(input_shape, output_dim) -> nn.Module`, or a module whose copies (re-initialised per fit) embed each side.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from neuralmi.errors import InputError

ACTIVATIONS = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "gelu": nn.GELU, "tanh": nn.Tanh, "silu": nn.SiLU}


def mlp(in_dim: int, out_dim: int, hidden_dim: int, n_layers: int, activation: str) -> nn.Sequential:
    """Fully connected network with `n_layers` hidden layers."""
    layers, width = [], in_dim
    for _ in range(n_layers):
        layers += [nn.Linear(width, hidden_dim), ACTIVATIONS[activation]()]
        width = hidden_dim
    layers.append(nn.Linear(width, out_dim))
    return nn.Sequential(*layers)


class MLPEmbedding(nn.Module):
    """MLP on flattened samples."""

    def __init__(self, input_shape, out_dim, hidden_dim, n_layers, activation):
        super().__init__()
        in_dim = int(torch.tensor(input_shape).prod())
        self.net = mlp(in_dim, out_dim, hidden_dim, n_layers, activation)

    def forward(self, x):
        return self.net(x.flatten(1))


class CNNEmbedding(nn.Module):
    """1-D convolutions over the time axis of windows (n, window, channels), then mean pooling."""

    def __init__(self, input_shape, out_dim, hidden_dim, n_layers, activation, kernel_size):
        super().__init__()
        if len(input_shape) != 2:
            raise InputError(f"cnn embedding: expected windows (window, channels), found sample shape {input_shape}")
        layers, width = [], input_shape[1]
        for _ in range(n_layers):
            layers += [nn.Conv1d(width, hidden_dim, kernel_size, padding=kernel_size // 2), ACTIVATIONS[activation]()]
            width = hidden_dim
        self.conv = nn.Sequential(*layers)
        self.out = nn.Linear(hidden_dim, out_dim)

    def forward(self, x):
        return self.out(self.conv(x.transpose(-1, -2)).mean(-1))


class GRUEmbedding(nn.Module):
    """Gated recurrent unit over the time axis of windows (n, window, channels); the last state is projected.

    Written with linear layers (not nn.GRU) so that stacks of models vectorise.
    """

    def __init__(self, input_shape, out_dim, hidden_dim, n_layers, activation):
        super().__init__()
        if len(input_shape) != 2:
            raise InputError(f"gru embedding: expected windows (window, channels), found sample shape {input_shape}")
        sizes = [input_shape[1]] + [hidden_dim] * n_layers
        self.inputs = nn.ModuleList(nn.Linear(a, 3 * hidden_dim) for a in sizes[:-1])
        self.hiddens = nn.ModuleList(nn.Linear(hidden_dim, 3 * hidden_dim, bias=False) for _ in sizes[:-1])
        self.out = nn.Linear(hidden_dim, out_dim)
        self.hidden_dim = hidden_dim

    def forward(self, x):
        seq = x
        for w_in, w_h in zip(self.inputs, self.hiddens):
            gates_in = w_in(seq)
            h = seq.new_zeros(seq.shape[:-2] + (self.hidden_dim,))
            states = []
            for t in range(seq.shape[-2]):
                r_in, z_in, n_in = gates_in[..., t, :].chunk(3, -1)
                r_h, z_h, n_h = w_h(h).chunk(3, -1)
                r, z = torch.sigmoid(r_in + r_h), torch.sigmoid(z_in + z_h)
                h = (1 - z) * torch.tanh(n_in + r * n_h) + z * h
                states.append(h)
            seq = torch.stack(states, -2)
        return self.out(seq[..., -1, :])


def output_layer(embedding: nn.Module) -> str | None:
    """Name of the linear layer that produces an embedding built here (MLP, CNN, GRU); None for other modules."""
    if type(embedding) is MLPEmbedding:
        return f"net.{len(embedding.net) - 1}"
    if type(embedding) in (CNNEmbedding, GRUEmbedding):
        return "out"
    return None


def make_embedding(options, input_shape: tuple, out_dim: int) -> nn.Module:
    """The embedding named by options.embedding (or built by a user factory) for samples of `input_shape`."""
    kind = options.embedding
    common = (input_shape, out_dim, options.hidden_dim, options.n_layers, options.activation)
    if isinstance(kind, nn.Module):
        module = copy.deepcopy(kind)
        for layer in module.modules():
            if hasattr(layer, "reset_parameters"):
                layer.reset_parameters()
        return module
    if callable(kind):
        module = kind(input_shape, out_dim)
        if not isinstance(module, nn.Module):
            raise InputError(f"embedding: the factory must return a torch.nn.Module, returned {type(module).__name__}")
        return module
    if kind == "mlp":
        return MLPEmbedding(*common)
    if kind == "cnn":
        return CNNEmbedding(*common, options.kernel_size)
    if kind == "gru":
        return GRUEmbedding(*common)
    raise InputError(f"embedding: expected 'mlp', 'cnn', 'gru' or a factory, found {kind!r}")
