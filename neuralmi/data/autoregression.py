"""Coupled linear Gaussian autoregressions with exact transfer entropy, and Gaussian (conditional) MI from a
covariance matrix.

X and Y follow a vector autoregression of order one, s_t = A s_{t-1} + e_t with s = (x, y) and e ~ N(0, I):
x_t = a_x x_{t-1} + e_x and y_t = a_y y_{t-1} + c x_{t-1} + e_y, so X drives Y (coupling c) and nothing drives
X: TE(Y -> X) = 0 at every history length. The process is stationary (|a_x|, |a_y| < 1) and starts in its
stationary distribution, so every time point has the same law and the exact TE of any history length and
horizon follows from the autocovariances Gamma(l) = A^l Gamma(0).
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from neuralmi.errors import InputError
from neuralmi.units import from_nats


def gaussian_cmi(cov: np.ndarray, a, b, c=()) -> float:
    """I(A; B | C) in nats of jointly Gaussian variables with covariance `cov`; a, b, c index its rows."""
    def logdet(idx):
        idx = list(idx)
        return float(np.linalg.slogdet(cov[np.ix_(idx, idx)])[1]) if idx else 0.0

    a, b, c = list(a), list(b), list(c)
    return 0.5 * (logdet(a + c) + logdet(b + c) - logdet(c) - logdet(a + b + c))


def _transition(self_x: float, self_y: float, coupling: float) -> np.ndarray:
    if not (abs(self_x) < 1 and abs(self_y) < 1):
        raise InputError(f"self_x, self_y: need |value| < 1 for a stationary process, found {self_x}, {self_y}")
    return np.array([[self_x, 0.0], [coupling, self_y]])


def _stationary_cov(transition: np.ndarray) -> np.ndarray:
    return linalg.solve_discrete_lyapunov(transition, np.eye(len(transition)))


def coupled_autoregression(n: int, coupling: float = 0.8, self_x: float = 0.5, self_y: float = 0.5,
                           seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n time points of X and Y (each shape (n, 1)) with X -> Y coupling `coupling` (module docstring)."""
    if n < 2:
        raise InputError(f"n: need at least 2 time points, found {n}")
    transition = _transition(self_x, self_y, coupling)
    rng = np.random.default_rng(seed)
    state = np.linalg.cholesky(_stationary_cov(transition)) @ rng.standard_normal(2)
    noise = rng.standard_normal((n, 2))
    out = np.empty((n, 2))
    for t in range(n):
        state = state if t == 0 else transition @ state + noise[t]
        out[t] = state
    return out[:, :1], out[:, 1:]


def coupled_transfer_entropy(history: int = 1, horizon: int = 1, coupling: float = 0.8, self_x: float = 0.5,
                             self_y: float = 0.5, direction: str = "x_to_y", units: str = "bits") -> float:
    """Exact TE of `coupled_autoregression`: I(future; driver's past | target's own past), the pasts being the
    `history` time points ending `horizon` steps before the future value."""
    if history < 1 or horizon < 1:
        raise InputError(f"history, horizon: need >= 1, found {history}, {horizon}")
    if direction not in ("x_to_y", "y_to_x"):
        raise InputError(f"direction: expected 'x_to_y' or 'y_to_x', found {direction!r}")
    transition = _transition(self_x, self_y, coupling)
    gamma0 = _stationary_cov(transition)
    times = list(range(history)) + [history - 1 + horizon]
    cov = np.zeros((2 * len(times), 2 * len(times)))
    for i, ti in enumerate(times):
        for j, tj in enumerate(times):
            lag = ti - tj
            block = np.linalg.matrix_power(transition, abs(lag)) @ gamma0
            cov[2 * i : 2 * i + 2, 2 * j : 2 * j + 2] = block if lag >= 0 else block.T
    driver, target = (0, 1) if direction == "x_to_y" else (1, 0)
    past = range(history)
    future = [2 * history + target]
    te = gaussian_cmi(cov, future, [2 * t + driver for t in past], [2 * t + target for t in past])
    return from_nats(max(te, 0.0), units)
