"""X's units in the modes over many channels (pairwise, network): each channel alone, or named channel groups."""

from __future__ import annotations

from neuralmi.errors import InputError


def x_units(options, channels: int) -> dict:
    """X's units: name -> channel indices (each channel alone, or `channel_groups`)."""
    if not options.channel_groups:
        return {i: [i] for i in range(channels)}
    seen: dict = {}
    for name, group in options.channel_groups.items():
        beyond = [c for c in group if c >= channels]
        if beyond:
            raise InputError(f"channel_groups.{name}: channels {beyond} do not exist; x has {channels} "
                             f"(0 .. {channels - 1})")
        shared = [c for c in group if c in seen]
        if shared:
            raise InputError(f"channel_groups.{name}: channels {shared} are also in group {seen[shared[0]]!r}; "
                             f"groups must not overlap (a shared channel would be dependent on itself)")
        seen.update({c: name for c in group})
    return {name: list(group) for name, group in options.channel_groups.items()}
