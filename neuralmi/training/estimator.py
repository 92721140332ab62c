"""An estimator is a bound trained on a critic: the checks that the two, and a bracket's pair of bounds, fit
together (the bound and critic families know nothing of each other)."""

from __future__ import annotations

from neuralmi.bounds import BarberAgakov, check_known_entropy, make_bound
from neuralmi.errors import InputError
from neuralmi.nets.factory import DENSITY_CRITICS


def check_estimator(options) -> None:
    """The bound suits the critic, a learned scale has a separable critic to scale, and a bracket pairs a lower
    bound with an upper one."""
    bound = make_bound(options)
    if bound.needs_density and options.critic not in DENSITY_CRITICS:
        raise InputError(f"bound {options.bound!r} needs a learned conditional density: critic one of "
                         f"{sorted(DENSITY_CRITICS)}, found {options.critic!r}")
    if options.learned_scale and options.critic != "separable":
        raise InputError(f"learned_scale: scales the separable critic's scores; critic {options.critic!r} has no "
                         f"scale to learn (leave learned_scale null or false)")
    if isinstance(bound, BarberAgakov):
        check_known_entropy(options)
    if options.bracket and bound.direction != "lower":
        kind = "an upper bound" if bound.direction == "upper" else "not a bound"
        raise InputError(f"bracket: the bound must be a lower bound to pair with upper_bound "
                         f"{options.upper_bound!r}; {options.bound!r} is {kind}")
