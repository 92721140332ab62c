"""Unknown keys of a mapping checked against a JSON schema, each named with the nearest known key."""

from __future__ import annotations

import difflib


def nearest(key: str, known) -> str | None:
    """The known key closest in spelling to `key` ("bond" -> "bound"), or None when none is close."""
    match = difflib.get_close_matches(str(key), sorted(map(str, known)), n=1, cutoff=0.6)
    return match[0] if match else None


def did_you_mean(name: str, known) -> str:
    """"did you mean 'bound'?" for the nearest known name, or "" when none is close."""
    guess = nearest(name, known)
    return f"did you mean {guess!r}?" if guess else ""


def unknown_key(where: str, key: str, known) -> str:
    """"where: unknown key 'bond'; did you mean 'bound'?" and, when nothing is close, the known keys."""
    return f"{where}: unknown key {key!r}; {did_you_mean(key, known) or f'known keys: {sorted(known)}'}"


def unknown_keys(mapping, schema: dict, where: str) -> list[str]:
    """A message for every key of `mapping` (recursively) that `schema` does not allow: properties of an object
    whose additionalProperties is false, and the entries of objects whose additionalProperties is a schema."""
    if not isinstance(mapping, dict):
        return []
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    found = []
    for key, value in mapping.items():
        path = f"{where}.{key}"
        if key in properties:
            found += unknown_keys(value, properties[key], path)
        elif extra is False:
            found.append(unknown_key(where, key, properties))
        elif isinstance(extra, dict):
            found += unknown_keys(value, extra, path)
    return found
