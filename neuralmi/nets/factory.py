"""Critics by name: the one place that knows every critic family (nets/critics.py, nets/densities.py) and the
second network a bound trains beside its critic, so that the families never import each other."""

from __future__ import annotations

from neuralmi.errors import InputError
from neuralmi.nets.critics import Critic, HybridCritic, JointCritic, ProbabilisticCritic, SeparableCritic, ShiftedCritic
from neuralmi.nets.densities import ProposalCritic, flow_critic, gaussian_critic

CRITICS = {
    "separable": SeparableCritic,
    "joint": JointCritic,
    "hybrid": HybridCritic,
    "probabilistic": ProbabilisticCritic,
}
DENSITY_CRITICS = {"gaussian": gaussian_critic, "flow": flow_critic}
SECOND_NETWORKS = {"flo": ShiftedCritic, "ba_hybrid": ProposalCritic}


def make_critic(options, shape_x: tuple, shape_y: tuple) -> Critic:
    """The critic named by options.critic for samples of the given shapes (density critics: nets/densities.py),
    with the second network its bound trains beside it: FLO's u(x, y) for 'flo', the hybrid bound's critic f for
    'ba_hybrid'."""
    known = {**CRITICS, **DENSITY_CRITICS}
    if options.critic not in known:
        raise InputError(f"critic: expected one of {sorted(known)}, found {options.critic!r}")
    critic = known[options.critic](options, shape_x, shape_y)
    wrapper = SECOND_NETWORKS.get(options.bound)
    return critic if wrapper is None else wrapper(critic, options, shape_x, shape_y)
