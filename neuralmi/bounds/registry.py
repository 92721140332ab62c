"""Bounds by name, and the checks of the options that belong to a bound."""

from __future__ import annotations

from neuralmi.bounds.base import Bound
from neuralmi.bounds.density import CLUB, BarberAgakov, DifferenceOfEntropies, HybridBarberAgakov, LeaveOneOut
from neuralmi.bounds.variational import FLO, JS, MINE, NWJ, SMILE, TUBA, InfoNCE
from neuralmi.errors import InputError


BOUNDS = {
    "infonce": lambda opts: InfoNCE(),
    "nwj": lambda opts: NWJ(),
    "tuba": lambda opts: TUBA(),
    "mine": lambda opts: MINE(opts.mine_ema),
    "flo": lambda opts: FLO(),
    "js": lambda opts: JS(),
    "smile": lambda opts: SMILE(opts.smile_tau),
    "doe": lambda opts: DifferenceOfEntropies(),
    "ba": lambda opts: BarberAgakov(opts.y_entropy_nats),
    "ba_hybrid": lambda opts: HybridBarberAgakov(opts.y_entropy_nats),
    "club": lambda opts: CLUB(),
    "l1out": lambda opts: LeaveOneOut(),
}


def check_known_entropy(options) -> None:
    """Barber-Agakov's entropy is that of Y as given: known, of continuous values, not replaced by normal scores."""
    if options.y_entropy_nats is None:
        raise InputError(f"bound {options.bound!r} needs y_entropy_nats, the known differential entropy of Y in "
                         f"nats; without it use bound 'doe', which learns the marginal density instead")
    if options.rank_transform:
        raise InputError(f"bound {options.bound!r}: rank_transform replaces Y by normal scores, whose entropy is "
                         f"not y_entropy_nats; set rank_transform: false")
    side = options.processor_y if options.processor_y is not None else options.processor
    name = side.get("processor") if isinstance(side, dict) else side
    if name in ("spikes", "categorical"):
        raise InputError(f"bound {options.bound!r}: Y's processor is {name!r}, whose values are discrete and have "
                         f"no differential entropy; use a contrastive bound")


KNOWN_ENTROPY = ("ba", "ba_hybrid")
RESHAPING_Y = ("window_size", "rank_transform")


def entropy_bound(options) -> str | None:
    """The bound among the analysis's (its own, or a sweep's values) that takes y_entropy_nats (KNOWN_ENTROPY), or
    None; y_entropy_nats without one is an error."""
    grid = options.grid or {}
    used = sorted(set(KNOWN_ENTROPY) & {options.bound, *grid.get("bound", [])})
    if options.y_entropy_nats is not None and not used:
        raise InputError(f"option 'y_entropy_nats': applies to bounds {list(KNOWN_ENTROPY)}, not {options.bound!r}")
    return used[0] if used else None


def check_entropy_option(options) -> None:
    """With a bound that takes y_entropy_nats: the entropy is usable (`check_known_entropy`) and a sweep does not
    change what one Y sample is. (Whether the mode keeps Y as given is the mode's to say: `Mode.keeps_y`.)"""
    used = entropy_bound(options)
    if used is None:
        return
    check_known_entropy(options.replace(bound=used))
    grid = options.grid or {}
    for key in RESHAPING_Y:
        if key in grid:
            raise InputError(f"bound {used!r}: the grid sweeps {key!r}, which changes Y and so its entropy, but "
                             f"y_entropy_nats is one number; sweep it in separate analyses")


def make_bound(options) -> Bound:
    """The bound named by options.bound."""
    if options.bound not in BOUNDS:
        raise InputError(f"bound: expected one of {sorted(BOUNDS)}, found {options.bound!r}")
    return BOUNDS[options.bound](options)
