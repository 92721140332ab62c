"""Tables in: columns of a DataFrame, Parquet or CSV file selected by name, list or prefix, in Python, the CLI
and workflow datasets."""

import json

import numpy as np
import pandas as pd
import pytest

import neuralmi
from neuralmi.cli import main
from neuralmi.data.datasets import has_y, load_dataset
from neuralmi.data.generators import correlated_gaussian
from neuralmi.data.io import select_columns
from neuralmi.errors import InputError


@pytest.fixture
def table():
    x, y = correlated_gaussian(400, 2, 3, 1.0, seed=0)
    return pd.DataFrame({"petal length": x[:, 0], "petal width": x[:, 1], "sepal length": y[:, 0],
                         "sepal width": y[:, 1], "sepal": y[:, 2], "label": ["a", "b"] * 200})


def test_a_prefix_selects_a_group_and_an_exact_name_only_its_column(table):
    assert select_columns(table, "petal", "x", "t") == ["petal length", "petal width"]
    assert select_columns(table, "sepal", "y", "t") == ["sepal"]
    assert select_columns(table, ["sepal w", "petal length"], "y", "t") == ["sepal width", "petal length"]


def test_a_table_and_its_columns_give_the_numbers_of_the_arrays(table, fast):
    by_name = neuralmi.run(table, x="petal", y=["sepal length", "sepal width"], progress=False, **fast)
    arrays = neuralmi.run(table[["petal length", "petal width"]].to_numpy(),
                          table[["sepal length", "sepal width"]].to_numpy(), progress=False, **fast)
    assert by_name.mi == arrays.mi and by_name.ci_high == arrays.ci_high


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_table_file_is_read_and_selected_like_a_dataframe(table, fast, tmp_path, suffix):
    path = tmp_path / f"flowers{suffix}"
    table.to_csv(path, index=False) if suffix == ".csv" else table.to_parquet(path)
    from_file = neuralmi.run(str(path), x="petal", y="sepal w", progress=False, **fast)
    from_frame = neuralmi.run(table, x="petal", y="sepal w", progress=False, **fast)
    assert from_file.mi == pytest.approx(from_frame.mi, abs=1e-9)


def test_samples_by_keyword_still_work(table, fast):
    x, y = table[["petal length"]].to_numpy(), table[["sepal"]].to_numpy()
    assert neuralmi.run(x=x, y=y, progress=False, **fast).mi == neuralmi.run(x, y, progress=False, **fast).mi


@pytest.mark.parametrize("selection, message", [
    ({"x": "petl", "y": "sepal"},
     r"x: no column 'petl', nor columns starting with it, in the table; available: \['petal length'"),
    ({"x": "petal", "y": ["sepal", "stem"]}, "y: no column 'stem'"),
    ({"x": "petal", "y": "petal width"}, "x, y: both select column 'petal width'"),
    ({"x": "petal", "y": "label"}, r"column\(s\) \['label'\] are not numeric"),
    ({"y": "sepal"}, "x: name X's columns of the table"),
    ({"x": "petal", "y": np.zeros((400, 1))}, "y: with a table, name columns"),
    ({"x": "petal", "y": []}, "y: with a table, name columns"),
])
def test_bad_selections_are_errors_naming_the_columns(table, fast, selection, message):
    with pytest.raises(InputError, match=message):
        neuralmi.run(table, progress=False, **fast, **selection)


def test_samples_given_twice_or_not_at_all_are_errors(fast):
    with pytest.raises(InputError, match="x: given twice"):
        neuralmi.run(np.zeros((10, 1)), np.zeros((10, 1)), x=np.zeros((10, 1)))
    with pytest.raises(InputError, match="x: no samples"):
        neuralmi.run(y=np.zeros((10, 1)))


def test_the_cli_reads_both_sides_from_one_table(table, fast, tmp_path, capsys):
    path = tmp_path / "flowers.parquet"
    table.to_parquet(path)
    settings = [arg for key, value in fast.items() for arg in ("--set", f"{key}={value}")]
    out = tmp_path / "result.json"
    assert main(["run", str(path), "--x-columns", "petal", "--y-columns", "sepal length,sepal width",
                 "--out", str(out), "--no-progress", *settings]) == 0
    expected = neuralmi.run(table, x="petal", y=["sepal length", "sepal width"], progress=False, **fast)
    assert json.loads(out.read_text())["mi"] == pytest.approx(expected.mi, abs=1e-9)
    assert main(["run", str(path), "--x-columns", "petal", "--y-columns", "sepl", "--out", str(out)]) == 2
    assert "y: no column 'sepl'" in capsys.readouterr().err


def test_a_workflow_dataset_takes_its_sides_from_one_table(table, tmp_path):
    table.to_csv(tmp_path / "flowers.csv", index=False)
    spec = {"table": "flowers.csv", "x_columns": "petal", "y_columns": ["sepal length", "sepal width"]}
    x, y, z = load_dataset("flowers", spec, tmp_path)
    assert x.shape == (400, 2) and y.shape == (400, 2) and z is None and has_y(spec)
    assert np.array_equal(y, table[["sepal length", "sepal width"]].to_numpy())
    with pytest.raises(InputError, match=r"datasets.flowers.y_columns: no column 'stem'.* in flowers.csv"):
        load_dataset("flowers", {**spec, "y_columns": "stem"}, tmp_path)


def test_the_readme_iris_example_runs(fast):
    """The documentation's real-data example (docs/getting-started.md): the iris table that scikit-learn ships (no download)."""
    from sklearn.datasets import load_iris

    iris = load_iris(as_frame=True).frame
    result = neuralmi.run(iris, x="petal", y="sepal", progress=False, **fast)
    assert result.fits["n_train"].iloc[0] + result.fits["n_val"].iloc[0] == 150
    assert np.isfinite(result.mi)
