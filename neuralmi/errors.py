"""The one exception type for bad input, so callers can catch it and CLIs can print it."""


class InputError(ValueError):
    """Input (arrays, options, files) does not meet the documented expectation."""
