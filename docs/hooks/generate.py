"""MkDocs hook: tables generated from the code, so the reference pages cannot drift from it.

Markers (an HTML comment `generated:` followed by a name) are replaced in `on_page_markdown`:

- `cli`: the flags of `neuralmi run`, from its parser;
- `modes`: the registered modes with their questions and own options (`neuralmi.analysis.modes.MODES`);
- `options`: every option of `neuralmi.options.load_schema()["properties"]`, with its type or allowed values,
  default and meaning (the schema's description), grouped when the schema gives groups (`x-group`);
- `columns:plan`, `columns:fits`, `columns:curves`, `columns:summary`: the columns of the tables a run writes,
  from `neuralmi.analysis.fits.PLAN_DOCS`, `FIT_DOCS`, `CURVE_DOCS` and `neuralmi.analysis.result.SUMMARY_DOCS`,
  `neuralmi.analysis.group.SESSION_DOCS` and `GROUP_DOCS`, and `columns:network`, network mode's edge table
  (`neuralmi.analysis.modes.network.EDGE_DOCS`).

Any other name fails the build, so a misspelt marker cannot pass silently.
"""

from __future__ import annotations

import argparse
import json
import os
import re

# Torch's OpenMP threads spin while they wait. On a machine shared with other jobs, threads=2 then runs the
# page examples tens of times slower; passive waiting changes no number. Set before torch is first imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from mkdocs.exceptions import PluginError

from neuralmi.analysis import fits, group, result
from neuralmi.analysis.modes import MODES
from neuralmi.analysis.modes.network import EDGE_DOCS
from neuralmi.cli import run_arguments
from neuralmi.options import load_schema

MARKER = re.compile(r"<!--\s*generated:\s*([^>]*?)\s*-->")


def cell(text) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def code(value) -> str:
    return f"`{json.dumps(value)}`"


def describe_type(spec: dict, defs: dict) -> str:
    """An option's type or allowed values, with its bounds, in words."""
    if "$ref" in spec:
        spec = {**defs[spec["$ref"].split("/")[-1]], **{k: v for k, v in spec.items() if k != "$ref"}}
    if "anyOf" in spec:
        return " or ".join(describe_type(part, defs) for part in spec["anyOf"])
    if "enum" in spec:
        return ", ".join(code(v) for v in spec["enum"])
    types = spec.get("type", "any")
    types = types if isinstance(types, list) else [types]
    words = []
    for kind in types:
        if kind == "array":
            item = spec.get("items", {})
            inner = describe_type(item, defs) if item else "values"
            words.append(f"list of {inner}")
        elif kind == "object":
            words.append("mapping" if "additionalProperties" not in spec or spec["additionalProperties"] is not False
                         else "object with " + ", ".join(f"`{k}`" for k in spec.get("properties", {})))
        else:
            words.append(kind)
    text = " or ".join(words)
    bounds = []
    for key, sign in (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"), ("exclusiveMaximum", "<")):
        if key in spec:
            bounds.append(f"{sign} {spec[key]}")
    return text + (f" ({', '.join(bounds)})" if bounds else "")


def options_table() -> str:
    schema = load_schema()
    defs = schema.get("$defs", {})
    groups: dict[str, list[str]] = {}
    for name, spec in schema["properties"].items():
        groups.setdefault(spec.get("x-group", ""), []).append(name)
    parts = []
    for group, names in groups.items():
        if group:
            parts.append(f"### {group}\n")
        rows = ["| option | type or allowed values | default | meaning |", "|---|---|---|---|"]
        for name in names:
            spec = schema["properties"][name]
            if "description" not in spec:
                raise PluginError(f"option {name!r} has no description in the options schema")
            meaning = spec["description"]
            rows.append(f"| `{name}`{{ #{name} }} | {cell(describe_type(spec, defs))} "
                        f"| {cell(code(spec.get('default')))} | {cell(meaning)} |")
        parts.append("\n".join(rows) + "\n")
    return "\n".join(parts)


def columns_table(docs: dict) -> str:
    rows = ["| column | meaning |", "|---|---|"]
    rows += [f"| `{name}` | {cell(meaning)} |" for name, meaning in docs.items()]
    return "\n".join(rows) + "\n"


def modes_table() -> str:
    """One row per registered mode (analysis/modes/__init__.py): its page, its question, the options it owns and
    whether it takes X alone or Z."""
    rows = ["| your question | mode | its own options |", "|---|---|---|"]
    for name, mode in MODES.items():
        own = [f"[`{key}`](../reference/options.md#{key})" for key in mode.own_options]
        own += ["Y optional"] * mode.x_alone + ["takes `z`"] * mode.takes_z
        rows.append(f"| {cell(mode.question)} | [`{name}`]({name}.md) | {', '.join(own) or '-'} |")
    return "\n".join(rows) + "\n"


def cli_table() -> str:
    """The flags of `neuralmi run`, from the command line's own parser."""
    run = argparse.ArgumentParser(add_help=False)
    run_arguments(run)
    rows = ["| flag | meaning |", "|---|---|"]
    for action in run._actions:
        flags = ", ".join(f"`{flag}`" for flag in action.option_strings) or f"`{action.dest.upper()}`"
        rows.append(f"| {flags} | {cell(action.help or '')} |")
    return "\n".join(rows) + "\n"


def generated(name: str) -> str:
    if name == "options":
        return options_table()
    if name == "cli":
        return cli_table()
    if name == "modes":
        return modes_table()
    if name.startswith("columns:"):
        tables = {"plan": fits.PLAN_DOCS, "fits": fits.FIT_DOCS, "curves": fits.CURVE_DOCS,
                  "summary": result.SUMMARY_DOCS, "sessions": group.SESSION_DOCS, "group": group.GROUP_DOCS,
                  "network": EDGE_DOCS}
        table = name.split(":", 1)[1]
        if table in tables:
            return columns_table(tables[table])
    raise PluginError(f"unknown generated marker {name!r}: expected 'options', 'modes', 'cli' or 'columns:' followed by "
                      f"one of plan, fits, curves, summary, sessions, group, network")


def on_page_markdown(markdown: str, page, config, files) -> str:
    try:
        return MARKER.sub(lambda match: "\n" + generated(match.group(1)) + "\n", markdown)
    except PluginError as error:
        raise PluginError(f"{page.file.src_path}: {error}") from None
