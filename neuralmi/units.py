"""Conversion between nats (the internal unit) and bits."""

import math

from neuralmi.errors import InputError

UNITS = ("bits", "nats")


def check_units(units: str) -> str:
    if units not in UNITS:
        raise InputError(f"units: expected one of {UNITS}, found {units!r}")
    return units


def from_nats(value, units: str):
    """Express a value (scalar or array) given in nats in `units`."""
    return value / math.log(2.0) if check_units(units) == "bits" else value


def to_nats(value, units: str):
    """Express a value given in `units` in nats."""
    return value * math.log(2.0) if check_units(units) == "bits" else value
