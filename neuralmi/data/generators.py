"""Samplers of data whose mutual information is known exactly."""

from __future__ import annotations

import numpy as np

from neuralmi.errors import InputError
from neuralmi.units import from_nats, to_nats

TRANSFORMS = {
    "cube": lambda v: v**3,
    "asinh": np.arcsinh,
    "sinh": np.sinh,
    "exp": np.exp,
    "tanh": np.tanh,
    "sigmoid": lambda v: 1.0 / (1.0 + np.exp(-v)),
}


def _correlations(mi_nats: float, n_pairs: int) -> np.ndarray:
    """Equal correlation for each of `n_pairs` coordinate pairs so that the total MI is `mi_nats`."""
    per_pair = mi_nats / n_pairs
    return np.full(n_pairs, np.sqrt(1.0 - np.exp(-2.0 * per_pair)))


def correlated_gaussian(n: int, dim_x: int, dim_y: int, mi: float, units: str = "bits", seed: int = 0):
    """Jointly Gaussian X (dim_x) and Y (dim_y) with I(X;Y) = `mi` in `units`.

    The MI is spread evenly over min(dim_x, dim_y) correlated coordinate pairs; other coordinates are
    independent standard normal noise. Returns (x, y) as float64 arrays of shape (n, dim).
    """
    if mi < 0:
        raise InputError(f"mi: must be >= 0, found {mi}")
    if min(n, dim_x, dim_y) < 1:
        raise InputError(f"n, dim_x, dim_y: must be >= 1, found {n}, {dim_x}, {dim_y}")
    rng = np.random.default_rng(seed)
    k = min(dim_x, dim_y)
    rho = _correlations(to_nats(mi, units), k)
    x = rng.standard_normal((n, dim_x))
    y = rng.standard_normal((n, dim_y))
    y[:, :k] = rho * x[:, :k] + np.sqrt(1.0 - rho**2) * y[:, :k]
    return x, y


def transformed(array: np.ndarray, transform: str) -> np.ndarray:
    """Apply a coordinate-wise invertible map; MI between transformed variables is unchanged."""
    if transform not in TRANSFORMS:
        raise InputError(f"transform: expected one of {sorted(TRANSFORMS)}, found {transform!r}")
    return TRANSFORMS[transform](array)


def latent_observation(
    n: int, latent_dim: int, dim_x: int, dim_y: int, mi: float, units: str = "bits", seed: int = 0
):
    """High-dimensional observations of correlated low-dimensional latents.

    Latents Z_x, Z_y (latent_dim each) are correlated Gaussians with I(Z_x; Z_y) = `mi`. Each side is
    observed through a random full-column-rank linear map into dim_x (dim_y) >= latent_dim dimensions
    followed by a coordinate-wise softplus-like invertible nonlinearity, so the map is injective and
    I(X; Y) = I(Z_x; Z_y).
    """
    if dim_x < latent_dim or dim_y < latent_dim:
        raise InputError(f"dim_x, dim_y: must be >= latent_dim={latent_dim}, found {dim_x}, {dim_y}")
    zx, zy = correlated_gaussian(n, latent_dim, latent_dim, mi, units, seed)
    rng = np.random.default_rng([seed, 1])
    ax = rng.standard_normal((latent_dim, dim_x)) / np.sqrt(latent_dim)
    ay = rng.standard_normal((latent_dim, dim_y)) / np.sqrt(latent_dim)
    return _observe(zx @ ax), _observe(zy @ ay)


def _observe(v: np.ndarray) -> np.ndarray:
    """Strictly increasing nonlinearity: v + tanh(v) is invertible with slope in [1, 2]."""
    return v + np.tanh(v)


def _ar1(n: int, dim: int, phi: float, rng: np.random.Generator) -> np.ndarray:
    """`dim` independent stationary AR(1) series of unit variance and lag-one correlation `phi`, shape (n, dim)."""
    out = np.empty((n, dim))
    out[0] = rng.standard_normal(dim)
    innovations = rng.standard_normal((n, dim)) * np.sqrt(1.0 - phi**2)
    for t in range(1, n):
        out[t] = phi * out[t - 1] + innovations[t]
    return out


def population(n: int, n_channels: int = 20, latent_dim: int = 3, noise: float = 0.5, seed: int = 0):
    """A population of `n_channels` channels driven by a `latent_dim`-dimensional latent, shape (n, n_channels).

    Each channel is a projection of the latent Z ~ N(0, I) through an invertible nonlinearity (v + tanh v)
    plus independent Gaussian noise of s.d. `noise`. The projections are random orthogonal directions scaled
    to unit variance per channel, so every latent dimension is expressed about equally. Any two disjoint groups
    of channels share information only through Z, so the shared information has dimension `latent_dim` (when
    each group holds at least `latent_dim` channels).
    """
    if latent_dim < 1 or n_channels < 2 * latent_dim:
        raise InputError(f"n_channels: must be >= 2 * latent_dim = {2 * latent_dim}, found {n_channels}")
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, latent_dim))
    basis, _ = np.linalg.qr(rng.standard_normal((n_channels, latent_dim)))
    weights = basis.T * np.sqrt(n_channels / latent_dim)
    return _observe(z @ weights) + noise * rng.standard_normal((n, n_channels))


def lagged_pair(n: int, lag: int = 5, dim: int = 1, mi: float = 1.0, phi: float = 0.6, units: str = "bits",
                seed: int = 0):
    """Time series X (n, dim) of AR(1) channels and Y(t) = rho X(t - lag) + noise, shape (n, dim).

    At lag `lag` each channel pair carries mi / dim (so I(X(t - lag); Y(t)) = `mi` exactly, Gaussian); at lag
    l the correlation falls to rho * phi^|l - lag|, so the MI curve over lags peaks at `lag` alone. The first
    `lag` values of Y, which have no past of X, are driven by X's stationary extension.
    """
    if mi <= 0 or not 0 <= phi < 1:
        raise InputError(f"mi, phi: need mi > 0 and 0 <= phi < 1, found {mi}, {phi}")
    rng = np.random.default_rng(seed)
    shift = abs(lag)
    series = _ar1(n + shift, dim, phi, rng)
    x = series[shift:] if lag >= 0 else series[:n]
    driver = series[:n] if lag >= 0 else series[shift:]
    rho = _correlations(to_nats(mi, units), dim)
    y = rho * driver + np.sqrt(1.0 - rho**2) * rng.standard_normal((n, dim))
    return x, y


def gaussian_lag_mi(lag_offsets, mi: float, dim: int, phi: float, units: str = "bits") -> np.ndarray:
    """Exact I(X(t - l); Y(t)) of `lagged_pair` at offsets l - lag (window of one sample), in `units`."""
    rho = _correlations(to_nats(mi, units), dim)[0] * phi ** np.abs(np.asarray(lag_offsets, dtype=float))
    per_pair = -0.5 * np.log1p(-(rho**2))
    return from_nats(dim * per_pair, units)


def latent_spikes(duration: float = 60.0, sample_rate: float = 100.0, n_neurons: int = 12, latent_dim: int = 2,
                  n_signal: int = 4, rate: float = 8.0, timescale: float = 0.3, noise: float = 0.5,
                  delay: float = 0.0, seed: int = 0):
    """Spike trains whose rates follow a smooth latent that also drives a continuous signal.

    The latent (latent_dim channels, AR(1) with correlation time `timescale` seconds, sampled at `sample_rate`)
    sets each neuron's rate, rate * exp(w . z - |w|^2 / 2) (mean `rate` Hz), and a continuous signal of
    `n_signal` channels is a random mix of the latent `delay` seconds earlier (>= 0: the spikes lead the signal)
    plus white noise of s.d. `noise`. Spikes are an inhomogeneous Poisson process with the rate held within each
    sample period.

    Returns (spikes, signal): a list of sorted spike-time arrays (seconds), one per neuron, and the signal of
    shape (round(duration * sample_rate), n_signal).
    """
    n = int(round(duration * sample_rate))
    shift = int(round(delay * sample_rate))
    if n < 2 or n_neurons < 1 or latent_dim < 1 or shift < 0:
        raise InputError(f"duration * sample_rate, n_neurons, latent_dim, delay: too small ({n}, {n_neurons}, "
                         f"{latent_dim}, {delay})")
    rng = np.random.default_rng(seed)
    dt = 1.0 / sample_rate
    history = _ar1(n + shift, latent_dim, float(np.exp(-dt / timescale)), rng)
    z, lagged = history[shift:], history[:n]
    weights = rng.standard_normal((latent_dim, n_neurons)) * 0.8 / np.sqrt(latent_dim)
    rates = rate * np.exp(z @ weights - 0.5 * (weights**2).sum(0))
    counts = rng.poisson(rates * dt)
    spikes = []
    for k in range(n_neurons):
        bins = np.repeat(np.arange(n), counts[:, k])
        spikes.append(np.sort((bins + rng.random(bins.size)) * dt))
    mixing = rng.standard_normal((latent_dim, n_signal)) / np.sqrt(latent_dim)
    signal = lagged @ mixing + noise * rng.standard_normal((n, n_signal))
    return spikes, signal


def dependent_pairs(n: int, n_channels: int = 16, pairs=((0, 1), (2, 3), (4, 5)), mi: float = 0.5,
                    units: str = "bits", phi: float = 0.0, seed: int = 0):
    """Standard-normal channels (n, n_channels) in which only the channel pairs `pairs` (disjoint) are
    dependent, each with I = `mi` in `units` (a bivariate Gaussian); every other pair is independent. With
    `phi` > 0 every channel is an AR(1) series with that coefficient (the pairs' innovations correlated), so
    the samples are autocorrelated time points and the lag-0 MI of a pair is still `mi`."""
    pairs = [tuple(int(c) for c in pair) for pair in pairs]
    used = [c for pair in pairs for c in pair]
    if any(len(pair) != 2 for pair in pairs) or len(set(used)) != len(used) or any(not 0 <= c < n_channels for c in used):
        raise InputError(f"pairs: expected disjoint pairs of channels within 0 .. {n_channels - 1}, found {pairs}")
    if mi < 0 or not 0 <= phi < 1:
        raise InputError(f"mi, phi: expected mi >= 0 and 0 <= phi < 1, found {mi}, {phi}")
    rng = np.random.default_rng(seed)
    rho = _correlations(to_nats(mi, units), 1)[0]
    out = _ar1(n, n_channels, phi, rng) if phi else rng.standard_normal((n, n_channels))
    for a, b in pairs:
        out[:, b] = rho * out[:, a] + np.sqrt(1 - rho**2) * out[:, b]
    return out


def pair_information(n_channels: int, pairs, mi: float) -> np.ndarray:
    """The exact MI of every channel pair of `dependent_pairs` (symmetric, NaN diagonal)."""
    truth = np.zeros((n_channels, n_channels))
    for a, b in pairs:
        truth[a, b] = truth[b, a] = mi
    np.fill_diagonal(truth, np.nan)
    return truth


def timed_spikes(duration: float = 200.0, window: float = 0.1, jitter: float = 0.002, n_neurons: int = 4,
                 latent_range: float = 0.05, sample_rate: float = 100.0, seed: int = 0):
    """Spike trains whose information is in spike timing with a known precision: in every window of `window`
    seconds a latent s ~ U(0, latent_range) sets when each neuron fires its one spike (at the window's start plus
    the margin plus s, jittered by N(0, jitter)); Y is s as a signal at `sample_rate`, constant over the window.
    Returns (spike trains: one array of times in seconds per neuron, y (duration * sample_rate, 1)). Timing
    perturbations much smaller than `jitter` leave the information intact, larger ones destroy it, so the
    precision of the code grows with `jitter`."""
    if not 0 < latent_range < window <= duration or jitter < 0:
        raise InputError(f"latent_range, window, jitter, duration: expected 0 < latent_range < window <= duration "
                         f"and jitter >= 0, found {latent_range}, {window}, {jitter}, {duration}")
    if abs(window * sample_rate - round(window * sample_rate)) > 1e-9:
        raise InputError(f"window, sample_rate: a window of {window} s must hold a whole number of samples at "
                         f"{sample_rate} Hz")
    rng = np.random.default_rng(seed)
    n_windows = int(round(duration / window))
    latent = rng.uniform(0.0, latent_range, n_windows)
    starts = np.arange(n_windows) * window + (window - latent_range) / 2
    spikes = []
    for _ in range(n_neurons):
        times = starts + latent + rng.normal(0.0, jitter, n_windows)
        edges = np.arange(n_windows) * window
        spikes.append(np.sort(np.clip(times, edges, edges + window * (1 - 1e-6))))
    per_window = int(round(window * sample_rate))
    y = np.repeat(latent, per_window)[:, None]
    return spikes, y
