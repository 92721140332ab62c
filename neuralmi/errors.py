"""The exception types callers can catch and CLIs can print: bad input, and fits that produced no number."""


class InputError(ValueError):
    """Input (arrays, options, files) does not meet the documented expectation."""


class FitError(RuntimeError):
    """Training produced no usable estimate (every fit of a scan diverged)."""
