"""Recordings to samples: windows, spike encodings and categorical states on hand-computed cases, and one
clear error for each kind of bad recording."""

import numpy as np
import pandas as pd
import pytest

from neuralmi.data.processing import make_source, samples
from neuralmi.errors import InputError
from neuralmi.options import make_options


def windows(x, y, **options):
    opts = make_options(options)
    return samples(make_source(x, y, opts), opts)


def test_continuous_windows_overlap_and_drop_the_last_partial_window():
    signal = np.arange(10.0)
    x, y = windows(signal, signal * 2, processor="continuous", window_size=3, step_size=2)
    assert x.shape == (4, 3, 1)
    np.testing.assert_array_equal(x[:, :, 0], [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6, 7, 8]])
    np.testing.assert_array_equal(y, 2 * x)


def test_window_defaults_one_sample_and_step_equal_to_window():
    signal = np.arange(12.0).reshape(6, 2)
    x, _ = windows(signal, signal, processor="continuous")
    assert x.shape == (6, 1, 2)
    x, _ = windows(signal, signal, processor="continuous", window_size=4)
    assert x.shape == (1, 4, 2)


def test_seconds_with_sample_rate():
    signal = np.arange(20.0)
    x, _ = windows(signal, signal, processor="continuous", sample_rate=10, window_size=0.5, step_size=0.3)
    np.testing.assert_array_equal(x[:, 0, 0], [0, 3, 6, 9, 12, 15])
    with pytest.raises(InputError, match="step_size: 0.25 is 2.5 samples"):
        windows(signal, signal, processor="continuous", sample_rate=10, window_size=0.5, step_size=0.25)


SPIKES = [np.array([0.0, 0.1, 0.25, 0.3, 0.5, 0.99]), np.array([]), np.array([0.7, 0.2])]


def test_spike_counts_bins_are_half_open_and_edges_go_to_the_later_bin():
    x, y = windows(SPIKES, SPIKES, processor="spikes", duration=1.0, window_size=0.5, bin_size=0.1)
    assert x.shape == (2, 5, 3)
    np.testing.assert_array_equal(x[0, :, 0], [1, 1, 1, 1, 0])   # 0.3 s sits on an edge: bin 3, not bin 2
    np.testing.assert_array_equal(x[1, :, 0], [1, 0, 0, 0, 1])   # 0.5 s opens window 1
    np.testing.assert_array_equal(x[:, :, 1], 0)                  # a neuron that never fires
    np.testing.assert_array_equal(x[:, :, 2], [[0, 0, 1, 0, 0], [0, 0, 1, 0, 0]])  # unsorted input is sorted


def test_spike_counts_one_bin_per_window_by_default_and_empty_windows_are_zero():
    x, _ = windows([np.array([0.05, 0.15])], [np.array([0.3])], processor="spikes", duration=0.4, window_size=0.1)
    np.testing.assert_array_equal(x[:, 0, 0], [1, 1, 0, 0])


def test_spike_times_relative_to_window_start_padded_with_the_fill_value():
    x, _ = windows(SPIKES, SPIKES, processor="spikes", spike_encoding="times", duration=1.0, window_size=0.5,
                   fill_value=-1)
    assert x.shape == (2, 4, 3)                                    # most spikes of a neuron in 0.5 s: 4
    np.testing.assert_allclose(x[0, :, 0], [0.0, 0.1, 0.25, 0.3], atol=1e-6)
    np.testing.assert_allclose(x[1, :, 0], [0.0, 0.49, -1, -1], atol=1e-6)
    np.testing.assert_array_equal(x[:, :, 1], -1)
    with pytest.raises(InputError, match="neuron 0 fires 4 spikes in window 0 \\(limit 2\\)"):
        windows(SPIKES, SPIKES, processor="spikes", spike_encoding="times", duration=1.0, window_size=0.5,
                max_spikes_per_window=2)


def test_spikes_against_a_continuous_signal_share_the_windows():
    signal = np.arange(100.0)                                      # 1 s at 100 Hz
    x, y = windows([np.array([0.05, 0.12, 0.999])], signal, processor_x="spikes", processor_y="continuous",
                   sample_rate=100, window_size=0.1, bin_size=0.05)
    assert x.shape == (10, 2, 1) and y.shape == (10, 10, 1)
    np.testing.assert_array_equal(x[:2, :, 0], [[0, 1], [1, 0]])
    np.testing.assert_array_equal(y[1, :, 0], np.arange(10, 20))
    assert x[9, 1, 0] == 1


def test_spike_tables_in_long_format():
    table = pd.DataFrame({"neuron": [2, 0, 2], "time": [0.3, 0.1, 0.05]})
    x, _ = windows(table, table, processor="spikes", duration=0.4, window_size=0.2)
    np.testing.assert_array_equal(x[:, 0, :], [[1, 1], [0, 1]])


def test_categorical_one_hot_and_majority_with_ties_to_the_smallest_label():
    states = np.array([3, 3, 7, 7, 5, 7, 3, 5])
    x, _ = windows(states, states, processor="categorical", window_size=2)
    assert x.shape == (4, 2, 3)                                    # categories 3, 5, 7
    np.testing.assert_array_equal(x[2], [[0, 1, 0], [0, 0, 1]])
    x, _ = windows(states, states, processor="categorical", categorical_encoding="majority", window_size=4)
    np.testing.assert_array_equal(x[:, 0, :], [[1, 0, 0], [0, 1, 0]])   # 3,3,7,7: tie -> 3; 5,7,3,5 -> 5


@pytest.mark.parametrize("x, y, options, message", [
    ([np.zeros(10), np.zeros(9)], np.zeros(10), {"processor": "continuous"},
     "x: channels of different lengths: channel 0 has 10 time points, channel 1 has 9"),
    (np.zeros(10), np.zeros(12), {"processor": "continuous"}, "x and y: recordings of different lengths"),
    (np.zeros(10), np.zeros(10), {"processor": "continuous", "window_size": 11}, "longer than the recording"),
    ([np.array([0.1, -0.2])], [np.array([0.1])], {"processor": "spikes", "duration": 1, "window_size": 0.1},
     "x: neuron 0: negative spike time -0.2"),
    ([np.array([0.1])], [np.array([np.nan])], {"processor": "spikes", "duration": 1, "window_size": 0.1},
     "y: neuron 0: 1 NaN or infinite spike time"),
    ([np.array([0.1, 0.1])], [np.array([0.1])], {"processor": "spikes", "duration": 1, "window_size": 0.1},
     "x: neuron 0: 1 duplicate spike time"),
    ([np.array([0.1, 1.5])], [np.array([0.1])], {"processor": "spikes", "duration": 1, "window_size": 0.1},
     r"x: neuron 0 has 1 spike\(s\) at or after the recording's end"),
    ([np.array([0.1])], [np.array([0.1])], {"processor": "spikes", "window_size": 0.1}, "duration: spike trains alone"),
    ([np.array([0.1])], np.zeros(10), {"processor_x": "spikes", "processor_y": "continuous", "window_size": 2},
     "sample_rate: needed to align spike times"),
    ([np.array([0.1])], [np.array([0.1])], {"processor": "spikes", "duration": 1, "window_size": 0.25,
                                             "bin_size": 0.1}, "not a whole number of bins"),
    (np.array([0, 1.5, 2]), np.zeros(3), {"processor_x": "categorical", "processor_y": "continuous"},
     "x: categorical labels must be integers; found 1.5 at time point 1"),
    (np.zeros((4, 2)), np.zeros(4), {"window_size": 2}, "option 'window_size': applies to recordings"),
])
def test_bad_recordings_give_one_clear_error(x, y, options, message):
    with pytest.raises(InputError, match=message):
        windows(x, y, **options)


def test_spike_trains_must_be_per_neuron_arrays_not_one_numeric_array():
    with pytest.raises(InputError, match="list of per-neuron spike-time arrays"):
        windows(np.zeros((5, 2)), [np.array([0.1])], processor="spikes", duration=1, window_size=0.1)


def test_spike_files_in_every_supported_layout_load_the_same(tmp_path):
    from neuralmi.data.io import load_spikes

    trains = [np.array([0.1, 0.4]), np.array([]), np.array([0.25])]
    table = pd.DataFrame({"neuron": [0, 0, 1, 2], "time": [0.1, 0.4, np.nan, 0.25]})
    table.to_parquet(tmp_path / "s.parquet")
    table.to_csv(tmp_path / "s.csv", index=False)
    np.savez(tmp_path / "long.npz", neuron=table["neuron"].to_numpy(), time=table["time"].to_numpy())
    np.savez(tmp_path / "each.npz", n0=trains[0], n1=trains[1], n2=trains[2])
    for name in ("s.parquet", "s.csv", "long.npz", "each.npz"):
        loaded = load_spikes(tmp_path / name)
        assert len(loaded) == 3, name
        for got, want in zip(loaded, trains):
            np.testing.assert_array_equal(got, want)
    pd.DataFrame({"unit": [1], "t": [0.1]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(InputError, match="needs columns 'neuron' and 'time'"):
        load_spikes(tmp_path / "bad.csv")


def test_a_side_without_processor_beside_spikes_must_be_an_array():
    with pytest.raises(InputError, match="y: has no processor; set processor_y"):
        windows([np.array([0.1])], [np.array([0.2])], processor_x="spikes", sample_rate=10, window_size=0.1)


def test_spike_tables_declare_silent_neurons_with_nan_and_reject_other_missing_times():
    silent = pd.DataFrame({"neuron": [0, 1], "time": [0.1, np.nan]})
    x, _ = windows(silent, silent, processor="spikes", duration=0.2, window_size=0.1)
    assert x.shape == (2, 1, 2) and x[:, 0, 1].sum() == 0
    broken = pd.DataFrame({"neuron": [0, 0], "time": [0.1, np.nan]})
    with pytest.raises(InputError, match="neuron 0 has 1 missing spike time"):
        windows(broken, broken, processor="spikes", duration=0.2, window_size=0.1)


def test_lag_crops_keep_spikes_that_sit_on_the_crop_edge():
    """With lags 0 and 0.29 s every lag uses ticks 29.. of Y; at lag 0, X's crop starts at tick 29 too. 0.29 s
    at 100 Hz is tick 28.999999999999996: that crop must still count the spike in its window 0."""
    from neuralmi.analysis.modes import MODES
    from neuralmi.analysis.points import resolve

    lag = MODES["lag"]
    opts = make_options({"processor_x": "spikes", "processor_y": "continuous", "sample_rate": 100,
                         "window_size": 0.01, "lags": [0, 0.29]})
    src = make_source([np.array([0.29])], np.zeros(100), opts)
    x, _ = lag.point_samples(src, {"lag": 0}, resolve(opts, src, lag), 0)
    assert x[0, 0, 0] == 1


def test_spike_times_have_one_shape_at_every_lag():
    from neuralmi.analysis.modes import MODES
    from neuralmi.analysis.points import resolve

    lag = MODES["lag"]
    trains = [np.array([0.01, 0.02, 0.03, 0.5])]
    opts = make_options({"processor": "spikes", "spike_encoding": "times", "duration": 1.0, "window_size": 0.1,
                         "lags": [0, 0.2]})
    src = make_source(trains, trains, opts)
    opts = resolve(opts, src, lag)
    shapes = {lag.point_samples(src, {"lag": v}, opts, 0)[0].shape for v in (0, 0.2)}
    assert shapes == {(8, 3, 1)}
