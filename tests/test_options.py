"""The JSON schema is the single source of truth for options and their defaults."""

import pytest

from neuralmi.errors import InputError
from neuralmi.options import load_schema, make_options


def test_defaults_come_from_the_schema():
    schema = load_schema()
    options = make_options({}).as_dict()
    assert set(options) == set(schema["properties"])
    for key, spec in schema["properties"].items():
        expected = tuple(spec["default"]) if isinstance(spec["default"], list) else spec["default"]
        assert options[key] == expected, key


@pytest.mark.parametrize(
    "options, fragment",
    [
        ({"bound": "kraskov"}, "'bound': expected one of"),
        ({"critic": "bilinearish"}, "'critic': expected one of"),
        ({"learning_rat": 0.1}, "unknown key 'learning_rat'; did you mean 'learning_rate'?"),
        ({"bond": "nwj"}, "unknown key 'bond'; did you mean 'bound'?"),
        ({"bound": "infonse"}, "found 'infonse'; did you mean 'infonce'?"),
        ({"grid": {"hiden_dim": [8]}}, "option 'grid': unknown key 'hiden_dim'; did you mean 'hidden_dim'?"),
        ({"qwertyuiop": 1}, "unknown key 'qwertyuiop'; known keys: ['activation',"),
        ({"batch_size": 1}, "'batch_size'"),
        ({"batch_size": "big"}, "'batch_size'"),
        ({"validation_fraction": 1.5}, "'validation_fraction'"),
        ({"learning_rate": -1e-3}, "'learning_rate'"),
        ({"gammas": [1]}, "'gammas'"),
        ({"min_gammas": 11}, "'min_gammas'"),
        ({"split": "indices"}, "'validation_indices'"),
    ],
)
def test_bad_options_name_the_key(options, fragment):
    with pytest.raises(InputError) as err:
        make_options(options)
    assert fragment in str(err.value)


def test_replace_validates_again():
    with pytest.raises(InputError):
        make_options({}).replace(max_epochs=0)
