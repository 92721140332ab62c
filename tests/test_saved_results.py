"""Results as files: `MIResult.save(dir)` writes the workflow's JSON and Parquet files (no pickle) and
`neuralmi.load(dir)` gives back an equal result, for every mode, with and without a permutation null."""

import json

import numpy as np
import pandas as pd
import pytest

import neuralmi
from neuralmi.analysis.result import RESULT_FILES
from mode_examples import EXAMPLES, run_example
from neuralmi.errors import InputError

RUNS = {name: (name, {}) for name in EXAMPLES} | {"rigorous_null": ("rigorous", {"gammas": [1, 2],
                                                                                "null_permutations": 3})}
GAUSS = EXAMPLES["estimate"][0]


def _run(name, fast):
    example, extra = RUNS[name]
    return run_example(example, fast, **extra)


def _same(a, b):
    if a is None or b is None:
        assert a is None and b is None
    else:
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


@pytest.mark.parametrize("name", sorted(RUNS))
def test_a_saved_result_loads_back_equal(tmp_path, fast, name):
    result = _run(name, fast)
    result.save(tmp_path / "saved", analysis=name, truth=None)
    assert sorted(p.name for p in (tmp_path / "saved").iterdir()) == sorted(RESULT_FILES)
    saved = json.loads((tmp_path / "saved" / "result.json").read_text())
    assert saved["analysis"] == name and saved["mode"] == result.mode
    loaded = neuralmi.load(tmp_path / "saved")
    assert type(loaded) is type(result)
    assert json.dumps(loaded.to_dict(), sort_keys=True) == json.dumps(result.to_dict(), sort_keys=True)
    assert loaded.metadata == {"analysis": name, "truth": None}
    for table in ("to_frame", "summary", "curves", "null", "significance"):
        _same(*(getattr(r, table)() if table == "to_frame" else getattr(r, table) for r in (result, loaded)))
    assert loaded.plot() is not None
    loaded.save(tmp_path / "again", analysis=name, truth=None)
    for file in RESULT_FILES:
        assert (tmp_path / "again" / file).read_bytes() == (tmp_path / "saved" / file).read_bytes(), file


def test_saved_options_are_the_non_defaults_and_a_callable_embedding_is_left_out(tmp_path, fast):
    import torch

    x, y = GAUSS
    factory = lambda shape, out: torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(int(np.prod(shape)), out))
    result = neuralmi.run(x, y, embedding=factory, **fast)
    saved = json.loads(result.save(tmp_path).joinpath("result.json").read_text())
    assert saved["options"] == fast
    assert neuralmi.load(tmp_path).mi == result.mi


def test_loading_what_is_not_a_saved_result_names_the_problem(tmp_path, fast):
    with pytest.raises(InputError, match=r"not a saved result; missing \['result.json'"):
        neuralmi.load(tmp_path)
    neuralmi.run(*GAUSS, **fast).save(tmp_path)
    saved = json.loads((tmp_path / "result.json").read_text())
    del saved["options"]
    (tmp_path / "result.json").write_text(json.dumps(saved))
    with pytest.raises(InputError, match=r"result.json: missing key\(s\) \['options'\]"):
        neuralmi.load(tmp_path)
