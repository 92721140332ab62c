"""NWB files in: what neuralmi reads equals what pynwb wrote, through run(), the CLI and the session sets, and a
wrong name lists the names the file has."""

import importlib
import json
from datetime import datetime, timezone

import h5py
import numpy as np
import pandas as pd
import pytest

import neuralmi
from neuralmi.cli import main
from neuralmi.data.datasets import data_options, dataset_channels
from neuralmi.data.generators import latent_spikes
from neuralmi.data.nwb import pynwb, read_nwb, write_nwb
from neuralmi.data.sessions import expand_sessions, session_files
from neuralmi.errors import InputError
from neuralmi.options import make_options
from snakemake_jobs import job_counts, snakemake, workdir

RATE = 100.0
FAST = {"hidden_dim": 16, "embedding_dim": 4, "max_epochs": 4, "batch_size": 64}
LAG = {"processor_x": "spikes", "processor_y": "continuous", "window_size": 0.05, "bin_size": 0.01}
TRIALS = [(1.0, 4.0), (6.5, 9.0), (12.0, 15.5)]


def write_session(path, seed: int, subject="mouse1", session="1"):
    """A session as a lab writes it: 6 units (4 CA1, 2 CA3; ids 11...), a 2-channel LFP, speed, 3 trials."""
    spikes, lfp = latent_spikes(duration=20.0, sample_rate=RATE, n_neurons=6, n_signal=2, delay=0.1, seed=seed)
    units = {11 + k: t for k, t in enumerate(spikes)}
    speed = np.abs(lfp[:, 0]).astype(np.float32)
    write_nwb(path, units, {"processing/ecephys/LFP/lfp": (lfp.astype(np.float32), RATE),
                            "processing/behavior/BehavioralTimeSeries/speed": (speed, RATE)},
              {"location": ["CA1"] * 4 + ["CA3"] * 2}, TRIALS, subject, session)
    return units, lfp.astype(np.float32), speed


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    path = tmp_path_factory.mktemp("nwb") / "sub-1_ses-1.nwb"
    return path, *write_session(path, seed=3)


def test_units_series_and_trials_equal_what_was_written(session):
    path, units, lfp, speed = session
    read = read_nwb(path, {"units": {"location": "CA1"}}, "lfp", "speed")
    assert sorted(read.x) == [11, 12, 13, 14]  # unit ids kept, CA3 units left out
    for unit in read.x:
        np.testing.assert_array_equal(read.x[unit], units[unit])
    np.testing.assert_array_equal(read.y, lfp.astype(np.float64))
    np.testing.assert_array_equal(read.z[:, 0], speed)
    assert (read.sample_rate, read.duration, read.subject_id, read.session_id) == (RATE, 20.0, "mouse1", "1")

    cut = read_nwb(path, "units", "lfp", interval="trials")
    lengths = [round((b - a) * RATE) for a, b in TRIALS]
    assert len(cut.y) == sum(lengths) and cut.duration == pytest.approx(sum(b - a for a, b in TRIALS))
    starts = np.cumsum([0, *lengths[:-1]])
    for (a, b), start, length in zip(TRIALS, starts, lengths):
        np.testing.assert_array_equal(cut.y[start:start + length], lfp[int(a * RATE):int(b * RATE)])
        for unit, times in units.items():  # each trial's spikes, shifted to where the trial starts on the joined axis
            inside = times[(times >= a) & (times < b)] - a + start / RATE
            got = cut.x[unit][(cut.x[unit] >= start / RATE) & (cut.x[unit] < (start + length) / RATE)]
            np.testing.assert_allclose(got, inside, rtol=0, atol=1e-12)

    window = read_nwb(path, "units", interval=[2.0, 5.0])
    assert window.sample_rate is None and window.duration == 3.0
    np.testing.assert_allclose(window.x[11], units[11][(units[11] >= 2) & (units[11] < 5)] - 2.0)


def test_run_and_cli_read_nwb_as_the_arrays(session, tmp_path):
    path, units, lfp, _ = session
    ca1 = [units[k] for k in sorted(units)[:4]]
    direct = neuralmi.run(ca1, lfp, sample_rate=RATE, progress=False, **LAG, **FAST)
    from_file = neuralmi.run(path, x={"units": {"location": "CA1"}}, y="lfp", progress=False, **LAG, **FAST)
    assert from_file.to_dict() == direct.to_dict()
    assert from_file.options.sample_rate == RATE  # the file's rate, where the options leave it out

    out = tmp_path / "cli.json"
    code = main(["run", str(path), "--x-nwb", "{units: {location: CA1}}", "--y-nwb", "lfp", "--out", str(out),
                 "--no-progress", *[f"--set={k}={v}" for k, v in {**LAG, **FAST}.items()]])
    assert code == 0 and json.loads(out.read_text())["mi"] == direct.mi


@pytest.mark.parametrize("kwargs, fragment", [
    ({"x": "units", "y": "lpf"}, "no TimeSeries 'lpf' (did you mean 'lfp'?); the file has: "
                                 "['processing/behavior/BehavioralTimeSeries/speed', 'processing/ecephys/LFP/lfp']"),
    ({"x": {"units": {"locaton": "CA1"}}}, "no column 'locaton'; columns: ['location']; did you mean 'location'?"),
    ({"x": {"units": {"location": "CA2"}}}, "no unit has location in ['CA2']; values found: ['CA1', 'CA3']"),
    ({"x": "units", "interval": "epochs"}, "the file has no epochs table"),
    ({"x": "units", "interval": [5, 1]}, "expected none, [start, stop] in seconds with start < stop"),
    ({"x": None}, "x: name X in the file"),
])
def test_wrong_names_list_what_the_file_has(session, kwargs, fragment):
    with pytest.raises(InputError) as error:
        read_nwb(session[0], **{"x": None, **kwargs})
    assert fragment in str(error.value)


def test_files_that_are_not_nwb_or_do_not_agree(session, tmp_path):
    text = tmp_path / "notes.nwb"
    text.write_text("not hdf5")
    with pytest.raises(InputError, match="not an NWB file"):
        read_nwb(text, "units")
    with h5py.File(tmp_path / "plain.nwb", "w") as raw:
        raw["data"] = np.zeros(3)
    with pytest.raises(InputError, match="HDF5 file but not NWB"):
        read_nwb(tmp_path / "plain.nwb", "units")

    rates = write_nwb(tmp_path / "rates.nwb", series={"acquisition/a": (np.zeros((50, 1)), 100.0),
                                                       "acquisition/b": (np.zeros((25, 1)), 50.0)})
    with pytest.raises(InputError, match="x is sampled at 100 Hz, y at 50 Hz"):
        read_nwb(rates, "a", "b")

    module = pynwb()
    nwbfile = module.NWBFile(session_description="irregular", identifier="i",
                             session_start_time=datetime(2026, 1, 1, tzinfo=timezone.utc))
    stamps = np.cumsum(np.r_[0.0, np.full(20, 0.01), 0.05, np.full(20, 0.01)])
    nwbfile.add_acquisition(module.TimeSeries(name="pupil", data=np.ones(len(stamps)), unit="mm",
                                              timestamps=stamps))
    regular = np.arange(40) * 0.02 + 1.0
    nwbfile.add_acquisition(module.TimeSeries(name="steady", data=np.arange(40.0), unit="mm", timestamps=regular))
    with module.NWBHDF5IO(str(tmp_path / "stamps.nwb"), "w") as io:
        io.write(nwbfile)
    with pytest.raises(InputError, match="irregular timestamps .* resample it"):
        read_nwb(tmp_path / "stamps.nwb", "pupil")
    steady = read_nwb(tmp_path / "stamps.nwb", "steady")
    assert steady.sample_rate == pytest.approx(50.0) and len(steady.x) == 40

    with pytest.raises(InputError, match="the options say 50 Hz, but .* sampled at 100 Hz"):
        neuralmi.run(session[0], x="units", y="lfp", sample_rate=50, progress=False, **LAG, **FAST)
    with pytest.raises(InputError, match="interval: applies to NWB files"):
        neuralmi.run(np.zeros((10, 1)), np.zeros((10, 1)), interval="trials")


def test_session_sets_keys_and_expansion(tmp_path):
    for subject, ses in (("01", "1"), ("01", "2"), ("02", "1")):
        write_nwb(tmp_path / f"sub-{subject}" / f"sub-{subject}_ses-{ses}.nwb", spikes={1: [0.5, 1.0]},
                  subject_id=f"m{subject}", session_id=f"s{ses}")
    assert list(session_files("sub-*/*.nwb", tmp_path)) == ["sub-01_ses-1", "sub-01_ses-2", "sub-02_ses-1"]
    assert list(session_files(["sub-02/*.nwb", "sub-01/sub-01_ses-1.nwb"], tmp_path, "ids")) == ["m01_s1", "m02_s1"]
    write_nwb(tmp_path / "again" / "sub-01_ses-1.nwb", spikes={1: [0.5]}, subject_id="m01", session_id="s1")
    # only the two files whose names repeat take their paths: the others keep their keys
    assert list(session_files("*/*.nwb", tmp_path)) == ["again_sub-01_ses-1", "sub-01_ses-2", "sub-01_sub-01_ses-1",
                                                      "sub-02_ses-1"]
    with pytest.raises(InputError, match="sessions share the key 'm01_s1'"):
        session_files("*/*.nwb", tmp_path, "ids")
    with pytest.raises(InputError, match="no file matches 'sub-9\\*/\\*.nwb'"):
        session_files("sub-9*/*.nwb", tmp_path)

    datasets, analyses, groups = expand_sessions(
        {"study": {"nwb": "sub-*/*.nwb", "x": "units"}, "other": {"x": "a.npy"}},
        {"rates": {"dataset": "study", "mode": "estimate"}, "plain": {"dataset": "other", "mode": "estimate"}},
        tmp_path)
    assert sorted(datasets) == ["other", "study/sessions/sub-01_ses-1", "study/sessions/sub-01_ses-2",
                                "study/sessions/sub-02_ses-1"]
    assert datasets["study/sessions/sub-01_ses-2"] == {"x": "units", "nwb": "sub-01/sub-01_ses-2.nwb"}
    assert groups == {"rates": {k: f"rates/sessions/{k}" for k in ("sub-01_ses-1", "sub-01_ses-2", "sub-02_ses-1")}}
    assert analyses["rates/sessions/sub-02_ses-1"]["dataset"] == "study/sessions/sub-02_ses-1"


def test_workflow_runs_every_session_and_the_group_and_reruns_only_a_new_session(tmp_path):
    """A dataset of NWB sessions (a glob): each session's dataset is what the file holds, each session's result
    is run()'s on its file, the group combines them, and a session added later reruns only its own jobs."""
    written = {}
    for k in (1, 2):
        written[k] = write_session(tmp_path / "data" / f"sub-{k}" / f"sub-{k}_ses-1.nwb", seed=k, subject=f"m{k}")
    options = {**LAG, **FAST, "lags": [0.0, 0.1]}
    config = {"datasets": {"study": {"nwb": "data/sub-*/*.nwb", "x": {"units": {"location": "CA1"}}, "y": "lfp",
                                     "interval": "trials"}},
              "analyses": {"lags": {"dataset": "study", "mode": "lag", "options": options}},
              "units": "bits", "seed": 0, "training": {"group": "analysis", "threads": 1}}
    where = workdir(tmp_path, config)
    snakemake(where, "--cores", "2")

    session = where / "results/datasets/study/sessions/sub-1_ses-1"
    spikes = pd.read_parquet(session / "x.parquet")
    assert sorted(spikes["neuron"].unique()) == [11, 12, 13, 14]
    info = json.loads((session / "info.json").read_text())
    assert info["sample_rate"] == RATE and info["subject_id"] == "m1" and info["units"] == {"x": [11, 12, 13, 14]}
    read = read_nwb(tmp_path / "data/sub-1/sub-1_ses-1.nwb", {"units": {"location": "CA1"}}, "lfp",
                    interval="trials")
    np.testing.assert_array_equal(pd.read_parquet(session / "y.parquet").to_numpy(), read.y)
    saved = json.loads((where / "results/lags/sessions/sub-1_ses-1/result.json").read_text())
    alone = neuralmi.run(tmp_path / "data/sub-1/sub-1_ses-1.nwb", x={"units": {"location": "CA1"}}, y="lfp",
                         mode="lag", interval="trials", threads=1, progress=False, **options)
    assert (saved["mi"], saved["ci_low"], saved["ci_high"]) == (alone.mi, alone.ci_low, alone.ci_high)

    group = pd.read_parquet(where / "results/lags/group.parquet")
    assert list(group["point"]) == ["lag=0", "lag=0.1"] and (group["n_sessions"] == 2).all()
    sessions = pd.read_parquet(where / "results/lags/sessions.parquet")
    assert set(sessions["session"]) == {"sub-1_ses-1", "sub-2_ses-1"}
    assert (where / "results/lags/figures/forest.png").stat().st_size > 0
    summary = pd.read_parquet(where / "results/summary.parquet")
    assert set(summary["analysis"]) == {"lags", "lags/sessions/sub-1_ses-1", "lags/sessions/sub-2_ses-1"}
    assert neuralmi.load_group(where / "results/lags").finding == json.loads(
        (where / "results/lags/group.json").read_text())["finding"]

    write_session(where / "data/sub-3/sub-3_ses-1.nwb", seed=3, subject="m3")
    counts = job_counts(snakemake(where, "-n", "--cores", "2").stdout)
    assert counts == {"prepare_nwb_dataset": 1, "plan_analysis": 1, "train_fits": 1, "summarise_analysis": 1,
                      "plot_analysis": 1, "summarise_group": 1, "summarise_all": 1, "checksums": 1, "all": 1,
                      "total": 9}
    write_session(where / "data/sub-1/sub-1_ses-1.nwb", seed=5, subject="m1")  # a session's file rewritten
    assert job_counts(snakemake(where, "-n", "--cores", "2").stdout)["prepare_nwb_dataset"] == 2


def test_timestamps_on_a_device_clock_keep_their_rate_and_scales_apply(tmp_path):
    """256 Hz stamped on a 30 kHz clock (steps of 117 or 118 ticks): the rate is the line through the stamps, not
    the median step (which would drift by a second in ten minutes); conversion and channel_conversion scale."""
    module = pynwb()
    ecephys = importlib.import_module("pynwb.ecephys")
    nwbfile = module.NWBFile(session_description="clock", identifier="c",
                             session_start_time=datetime(2026, 1, 1, tzinfo=timezone.utc))
    stamps = np.round(np.arange(2560) * 30000 / 256) / 30000
    nwbfile.add_acquisition(module.TimeSeries(name="pupil", data=np.arange(2560.0), unit="mm", timestamps=stamps))
    device = nwbfile.create_device(name="probe")
    shank = nwbfile.create_electrode_group(name="shank", description="s", location="CA1", device=device)
    for _ in range(2):
        nwbfile.add_electrode(group=shank, location="CA1")
    region = nwbfile.create_electrode_table_region([0, 1], "both")
    nwbfile.add_acquisition(ecephys.ElectricalSeries(name="raw", data=np.ones((100, 2), np.int16), electrodes=region,
                                                     rate=1000.0, conversion=0.5, channel_conversion=[1.0, 3.0]))
    nwbfile.add_trial(start_time=0.01, stop_time=0.05)
    nwbfile.add_trial(start_time=0.03, stop_time=0.07)  # overlaps the first: read once
    with module.NWBHDF5IO(str(tmp_path / "clock.nwb"), "w") as io:
        io.write(nwbfile)
    assert read_nwb(tmp_path / "clock.nwb", "pupil").sample_rate == pytest.approx(256.0, rel=1e-6)
    raw = read_nwb(tmp_path / "clock.nwb", "raw", interval="trials")
    np.testing.assert_array_equal(raw.x, np.tile([0.5, 1.5], (60, 1)))
    assert raw.ranges == [(0.01, 0.07)]


def test_what_the_file_fixes_completes_the_options(session):
    assert data_options({}, {"sample_rate": 100.0}) == {"sample_rate": 100.0}
    assert data_options({}, {"sample_rate": None, "duration": 20.0}) == {"duration": 20.0}
    with pytest.raises(InputError, match="duration: the options say 5 s, but the time range read from f is 20 s"):
        data_options({"duration": 5}, {"sample_rate": None, "duration": 20.0, "file": "f"})
    pairwise = make_options({"processor": "continuous"})
    assert dataset_channels("s", {"nwb": str(session[0]), "x": "lfp"}, pairwise) == (2, 0)
