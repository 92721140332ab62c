"""The console command reads .npy/.npz/Parquet/CSV, writes JSON, and on bad input writes nothing."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from neuralmi.cli import main
from neuralmi.data.generators import correlated_gaussian

FAST = ["--set", "hidden_dim=16", "--set", "embedding_dim=4", "--set", "max_epochs=4", "--set", "batch_size=32"]


@pytest.fixture
def pair():
    return correlated_gaussian(300, 2, 2, 1.0, seed=0)


def test_npy_in_json_out_with_tables_and_plot(tmp_path, pair):
    np.save(tmp_path / "x.npy", pair[0])
    np.save(tmp_path / "y.npy", pair[1])
    out = tmp_path / "out" / "result.json"
    code = main([
        "run", str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), "--out", str(out), "--units", "nats",
        "--fits", str(tmp_path / "fits.parquet"), "--curves", str(tmp_path / "curves.parquet"),
        "--plot", str(tmp_path / "fig.png"), *FAST,
    ])
    assert code == 0
    result = json.loads(out.read_text())
    assert {"mi", "ci_low", "ci_high", "reliable", "units"} <= set(result)
    assert result["units"] == "nats" and result["ci_low"] <= result["mi"] <= result["ci_high"]
    assert len(pd.read_parquet(tmp_path / "fits.parquet")) == 1
    assert (tmp_path / "fig.png").stat().st_size > 0


def test_npz_and_parquet_inputs_match_npy(tmp_path, pair):
    x, y = pair
    np.savez(tmp_path / "xy.npz", x=x, y=y)
    pd.DataFrame(y, columns=["a", "b"]).assign(label="z").to_parquet(tmp_path / "y.parquet")
    out_a, out_b = tmp_path / "a.json", tmp_path / "b.json"
    main(["run", str(tmp_path / "xy.npz"), str(tmp_path / "xy.npz"), "--x-key", "x", "--y-key", "y", "--out", str(out_a), *FAST])
    main(["run", str(tmp_path / "xy.npz"), str(tmp_path / "y.parquet"), "--x-key", "x", "--y-columns", "a,b",
          "--out", str(out_b), *FAST])
    assert json.loads(out_a.read_text()) == json.loads(out_b.read_text())


@pytest.mark.parametrize(
    "make_args, fragment",
    [
        (lambda d: [str(d / "missing.npy"), str(d / "y.npy")], "missing.npy: no such file"),
        (lambda d: [str(d / "x.npy"), str(d / "short.npy")], "x has 300 and y has 200"),
        (lambda d: [str(d / "x.npy"), str(d / "y.npy"), "--set", "bound=dv"], "'bound': expected one of"),
        (lambda d: [str(d / "x.npy"), str(d / "y.npy"), "--mode", "guess"], "mode: expected one of"),
        (lambda d: [str(d / "x.npy"), str(d / "y.txt")], "unsupported file type '.txt'"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(tmp_path, pair, capsys, make_args, fragment):
    np.save(tmp_path / "x.npy", pair[0])
    np.save(tmp_path / "y.npy", pair[1])
    np.save(tmp_path / "short.npy", pair[1][:200])
    (tmp_path / "y.txt").write_text("1 2\n")
    before = set(tmp_path.iterdir())
    code = main(["run", *make_args(tmp_path), "--out", str(tmp_path / "r.json"), "--fits", str(tmp_path / "f.parquet")])
    assert code == 2
    assert fragment in capsys.readouterr().err
    assert set(tmp_path.iterdir()) == before


def test_python_dash_m_and_schema():
    done = subprocess.run([sys.executable, "-m", "neuralmi", "schema"], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout)["properties"]["bound"]["default"] == "infonce"


def test_lag_scan_of_the_embedded_spike_recording(tmp_path):
    """Spike table against a sampled potential: one row per lag in --fits, the peak lag in the JSON."""
    root = __import__("pathlib").Path(__file__).resolve().parents[1] / "resources/recording"
    out = tmp_path / "lag.json"
    code = main([
        "run", str(root / "spikes.parquet"), str(root / "lfp.npy"), "--x-spikes", "--mode", "lag",
        "--set", "processor_x=spikes", "--set", "processor_y=continuous", "--set", "sample_rate=100",
        "--set", "window_size=0.1", "--set", "lags=[0, 0.1, 0.2]", "--out", str(out),
        "--fits", str(tmp_path / "lags.parquet"), "--plot", str(tmp_path / "lag.png"), *FAST,
    ])
    assert code == 0
    result = json.loads(out.read_text())
    assert result["peak_lag"] in (0, 0.1, 0.2) and result["finding"].startswith("peak lag")
    assert list(pd.read_parquet(tmp_path / "lags.parquet")["lag"]) == [0, 0.1, 0.2]


def test_dimensionality_of_one_population_takes_no_y(tmp_path):
    np.save(tmp_path / "x.npy", np.random.default_rng(0).standard_normal((200, 4)))
    out = tmp_path / "dims.json"
    assert main(["run", str(tmp_path / "x.npy"), "--mode", "dimensionality", "--set", "embedding_dims=[1, 2]",
                 "--set", "repeats=2", "--out", str(out), *FAST]) == 0
    assert json.loads(out.read_text())["dimensionality"] in (1, 2)
    assert main(["run", str(tmp_path / "x.npy"), "--out", str(tmp_path / "no.json"), *FAST]) == 2
    assert not (tmp_path / "no.json").exists()
