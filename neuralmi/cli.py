"""Command line: `neuralmi run X Y --out result.json` (also `python -m neuralmi`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

from neuralmi.analysis.style import write_figure
from neuralmi.api import MODES, run
from neuralmi.checksums import differences, read
from neuralmi.data.io import given_sides, is_table_file, load_array, load_spikes
from neuralmi.data.nwb import is_nwb
from neuralmi.errors import FitError, InputError
from neuralmi.options import load_schema
from neuralmi.outputs import write_json, write_parquet


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="neuralmi", description="Neural mutual-information estimation.")
    sub = parser.add_subparsers(dest="command", required=True)
    run_arguments(sub.add_parser("run", help="estimate I(X;Y) from two files (.npy, .npz, .parquet, .csv)"))
    sub.add_parser("schema", help="print the JSON schema of the estimator options")
    check = sub.add_parser("checksums", help="check a results tree against a checksums file (SHA-256 per file)")
    check.add_argument("reference", help="the checksums file to check against (e.g. paper/checksums.sha256)")
    check.add_argument("--root", default=".", help="the directory its paths are relative to (default: here)")
    return parser


def run_arguments(est: argparse.ArgumentParser) -> None:
    """The arguments of `neuralmi run` (the documentation's table of flags is made from them)."""
    est.add_argument("x", help="X: samples or time points in rows, channels in columns; or spike trains")
    est.add_argument("y", nargs="?", help="Y, as X (leave out in dimensionality, pairwise or network mode for one "
                                          "population, or when --y-columns names Y's columns of X's table)")
    est.add_argument("--out", required=True, help="result JSON: mi, ci_low, ci_high, reliable, units, ...")
    est.add_argument("--mode", default="estimate", metavar="MODE",
                     help=f"one of {', '.join(MODES)} (default estimate; what each answers: docs/modes/)")
    est.add_argument("--z", help="Z, the conditioning variable of conditional mode (a file, as X)")
    est.add_argument("--units", default="bits", help="bits (default) or nats")
    est.add_argument("--seed", type=int, default=0, help="fixes every random choice (default 0)")
    est.add_argument("--options", help="YAML or JSON file of estimator options")
    est.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="one option (value parsed as YAML), overriding --options")
    est.add_argument("--x-key", help="array name inside an .npz file for X")
    est.add_argument("--y-key", help="array name inside an .npz file for Y")
    est.add_argument("--z-key", help="array name inside an .npz file for Z")
    est.add_argument("--x-spikes", action="store_true",
                     help="X is spike trains: a neuron, time table or an .npz of per-neuron spike times")
    est.add_argument("--y-spikes", action="store_true", help="Y is spike trains")
    est.add_argument("--z-spikes", action="store_true", help="Z is spike trains")
    est.add_argument("--x-nwb", metavar="SELECTION", help="X is an .nwb file: what X is in it, in YAML: 'units', "
                     "'{units: {location: CA1}}' (the units whose column holds the values) or a TimeSeries' name")
    est.add_argument("--y-nwb", metavar="SELECTION", help="Y in X's NWB file, as --x-nwb (no Y file is given)")
    est.add_argument("--z-nwb", metavar="SELECTION", help="Z in X's NWB file, as --x-nwb")
    est.add_argument("--interval", help="with an NWB file: the time range, 'trials', 'epochs' or '[start, stop]' in "
                     "seconds (default: the whole file)")
    est.add_argument("--x-columns", help="comma-separated table columns for X: names, or prefixes naming groups")
    est.add_argument("--y-columns", help="comma-separated table columns for Y (of X's table when no Y file is given)")
    est.add_argument("--z-columns", help="comma-separated table columns for Z (of X's table when no --z is given)")
    est.add_argument("--fits", help="write the mode's table (result.to_frame(): per fit, lag, dimension or grid "
                                    "point) to this Parquet file")
    est.add_argument("--curves", help="write the per-epoch curves to this Parquet file")
    est.add_argument("--plot", help="write the mode's figure (png, pdf or svg)")
    est.add_argument("--null", help="with null_permutations: write the null distribution (the statistic of the "
                                    "observed data and of every surrogate, per point) to this Parquet file")
    est.add_argument("--plot-null", help="with null_permutations: write the null's figure (png, pdf or svg)")
    est.add_argument("--no-progress", action="store_true",
                     help="no progress bar (shown on stderr when it is a terminal)")


def _options(args) -> dict:
    options = {}
    if args.options:
        path = Path(args.options)
        if not path.is_file():
            raise InputError(f"{path}: no such options file")
        loaded = yaml.safe_load(path.read_text()) or {}
        if not isinstance(loaded, dict):
            raise InputError(f"{path}: expected a mapping of option names to values")
        options.update(loaded)
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"--set {item!r}: expected KEY=VALUE")
        options[key.strip()] = yaml.safe_load(value)
    return options


def _columns(text):
    return [c.strip() for c in text.split(",")] if text else None


def _load(path, spikes: bool, key, columns):
    return load_spikes(path) if spikes else load_array(path, key, _columns(columns))


def _nwb(args) -> dict:
    """run()'s NWB arguments: the file, each side's selection and the interval."""
    if args.y is not None or args.z is not None:
        raise InputError("with an NWB file, name Y and Z in it with --y-nwb and --z-nwb, not as files")
    if not args.x_nwb:
        raise InputError(f"{args.x}: name X in the NWB file with --x-nwb (e.g. units, or a TimeSeries' name)")
    picked = {side: _structured(value) for side, value in (("x", args.x_nwb), ("y", args.y_nwb), ("z", args.z_nwb))}
    return {"data": args.x, **picked, "interval": _structured(args.interval)}


def _structured(value):
    """A mapping or list written in YAML, else the text as given (a series named '1' or 'on' stays a name)."""
    return yaml.safe_load(value) if value is not None and value.lstrip()[:1] in "{[" else value


def _sides(args) -> tuple:
    """(x, y, z) from their files; or, with --y-columns and no Y file, every side from X's table."""
    if args.y is None and args.y_columns:
        if not is_table_file(args.x) or not args.x_columns or args.z is not None:
            raise InputError("--y-columns without a Y file reads every side from X's table: X must be a .parquet or "
                             ".csv file, --x-columns must name X's columns, and Z comes from --z-columns, not --z")
        return given_sides(args.x, _columns(args.x_columns), _columns(args.y_columns), _columns(args.z_columns))
    x = _load(args.x, args.x_spikes, args.x_key, args.x_columns)
    y = None if args.y is None else _load(args.y, args.y_spikes, args.y_key, args.y_columns)
    z = None if args.z is None else _load(args.z, args.z_spikes, args.z_key, args.z_columns)
    return x, y, z


def _run(args) -> None:
    nwb = is_nwb(args.x)
    if not nwb and (args.x_nwb or args.y_nwb or args.z_nwb or args.interval):
        raise InputError("--x-nwb, --y-nwb, --z-nwb, --interval: X must be an .nwb file")
    sides = _nwb(args) if nwb else dict(zip(("data", "y", "z"), _sides(args)))
    options = _options(args)
    if (args.null or args.plot_null) and not options.get("null_permutations"):
        raise InputError("--null, --plot-null: no permutation null is computed; set null_permutations (e.g. "
                         "--set null_permutations=100)")
    result = run(mode=args.mode, units=args.units, seed=args.seed, progress=False if args.no_progress else None,
                 **sides, **options)
    if args.fits:
        write_parquet(args.fits, result.to_frame())
    if args.curves:
        write_parquet(args.curves, result.curves)
    if args.plot:
        write_figure(args.plot, result.plot())
    if args.null:
        write_parquet(args.null, result.null)
    if args.plot_null:
        write_figure(args.plot_null, result.plot_null())
    write_json(args.out, result.to_dict())


def _check(args) -> int:
    found = differences(args.reference, args.root)
    for line in found:
        print(line)
    print(f"neuralmi: {len(read(args.reference)) - len(found)} of {len(read(args.reference))} files match "
          f"{args.reference}", file=sys.stderr)
    return 1 if found else 0


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "schema":
            print(json.dumps(load_schema(), indent=2))
        elif args.command == "checksums":
            return _check(args)
        else:
            _run(args)
    except InputError as exc:
        print(f"neuralmi: error: {exc}", file=sys.stderr)
        return 2
    except FitError as exc:
        print(f"neuralmi: error: {exc}", file=sys.stderr)
        return 1
    return 0
