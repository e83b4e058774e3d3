"""Hydra's override grammar, applied with checks to Isaac Lab config classes (and the dicts inside them).

The tokens are parsed by Hydra's own parser (``hydra.core.override_parser``), so the grammar is Hydra's: ``key=value``,
``+key=value`` (add a key), ``++key=value`` (set or add), ``~key`` / ``~key=value`` (delete), lists ``[1,2]``,
dicts ``{a:1}``, quoted strings ``'1'`` (a string, not an int), ``null``, and interpolations ``${env.seed}`` /
``${oc.env:HOME}``. What Hydra's ``OmegaConf`` merge would do loosely, this does strictly, because the targets are
typed config classes and not free-form YAML:

- a changed key must exist (unknown -> one line with the closest valid key) and the value must fit the default's
  type (an int field takes ``3``, not ``1.5`` nor ``'3'``; a list field takes a list; a config node takes fields;
  ``key={...}`` replaces a dict, it is not merged); ``None`` unquoted means ``null``, a tuple is written as a list;
- ``+`` and ``~`` act on dict nodes only (a config class has fixed fields: set one to ``null`` instead of deleting
  it); ``+`` refuses an existing key and ``~key=value`` a different current value, as Hydra does;
- an interpolation is resolved when the override is applied, against the configs as overridden so far (the
  ``env.*`` overrides are applied before the ``agent.*`` ones), not lazily;
- a sweep (``a=1,2``, ``range(...)``) is refused: the scripts run one job (quote a string with commas).
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import OverrideType
from hydra.errors import HydraException
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from .errors import UserError

_INTERPOLATION = re.compile(r"\$\{([^}]*)\}")
_KIND = {OverrideType.CHANGE: "=", OverrideType.ADD: "+", OverrideType.FORCE_ADD: "++", OverrideType.DEL: "~"}


@dataclass
class Override:
    """One parsed override: ``kind`` is ``"="``, ``"+"``, ``"++"`` or ``"~"``; ``value`` is Hydra's parsed value."""

    kind: str
    key: str
    value: Any
    token: str
    has_value: bool = True  # False for a bare ``~key``


def check_not_flag(token: str) -> None:
    """A ``-x`` / ``--flag`` left among the overrides is a flag the script does not know.

    Raises:
        UserError: ``token`` starts with ``-``.
    """
    if token.startswith("-"):
        raise UserError(f"cannot read argument '{token}': expected a Hydra override 'key=value' or a known --flag")


def parse(token: str) -> Override:
    """Parse one command-line token with Hydra's override parser.

    Raises:
        UserError: Not an override, a syntax error (Hydra's own message, first line), or a sweep.
    """
    raw = token.split("=", 1)[1] if "=" in token else ""
    try:
        parsed = OverridesParser.create().parse_override(token)
    except HydraException:
        hint = "write a tuple as a list: key=[6,9]" if raw.lstrip().startswith("(") else "quote it: key='...'"
        raise UserError(
            f"cannot read override '{token}' in Hydra's grammar (key=value, +key=value, ~key, key=[1,2]): {hint}"
        ) from None
    if not parsed.key_or_group:
        raise UserError(f"cannot read override '{token}': the key is empty (expected key=value)")
    if parsed.package:
        raise UserError(f"override '{token}': packages (@...) select config groups, which these configs have not")
    if parsed.is_sweep_override():
        raise UserError(
            f"override '{token}' is a sweep (several values): add -m to run one job per value, or give one value"
            " (quote a string with commas: key='a,b')"
        )
    value = None if raw in ("None", "none") else parsed.value()  # Python's None, unquoted, is Hydra's null
    has_value = not (parsed.type == OverrideType.DEL and value is None and "=" not in token)
    return Override(_KIND[parsed.type], parsed.key_or_group, value, token, has_value)


def apply(roots: Mapping[str, Any], path: str, override: Override) -> None:
    """Apply ``override`` at ``path`` (``env.a.b`` / ``agent.a.b``, already routed) of ``roots`` with the checks above.

    Raises:
        UserError: Unknown key, wrong type, ``+`` / ``~`` on a config class field, ``+`` on an existing key,
            ``~key=value`` with another current value, or an interpolation that does not resolve.
    """
    *parents, leaf = path.split(".")
    node = lookup(roots, ".".join(parents))
    fields, where, token = field_names(node), ".".join(parents), override.token
    exists = leaf in fields
    is_dict = isinstance(node, Mapping)
    if override.kind == "~" and not is_dict:
        fixed = f"'{where}' is a config class with fixed fields, not a dict"
        raise UserError(f"override '{token}': {fixed}: set it to null with '{path}=null'")
    if override.kind == "+" and not is_dict and not exists:  # '+' adds keys to dicts only
        raise UserError(f"unknown override key '{path}'{suggest(leaf, fields, where)} ('+' adds keys to dicts only)")
    if override.kind == "+" and exists:
        raise UserError(
            f"override '{token}': '{path}' exists already: set it with '{path}=...' (or '++' to set or add)"
        )
    if not exists and not (is_dict and override.kind in ("+", "++")):
        raise UserError(f"unknown override key '{path}'{suggest(leaf, fields, where)}")
    if override.kind == "~":
        current = node[leaf]
        if override.has_value and resolve(roots, override.value, token) != current:
            raise UserError(f"override '{token}': '{path}' is {current!r}, not {override.value!r}: nothing deleted")
        del node[leaf]
        return
    value = resolve(roots, override.value, token)
    if exists:
        current = node[leaf] if is_dict else getattr(node, leaf)
        value = coerce(token, current, value)
    if is_dict:
        node[leaf] = value
    else:
        setattr(node, leaf, value)


def resolve(roots: Mapping[str, Any], value: Any, token: str) -> Any:
    """``value`` with its interpolations resolved: ``${path}`` by the config value, ``${oc.env:X}`` by OmegaConf.

    A value that is one whole interpolation takes the referenced value itself (a number stays a number).
    """
    if isinstance(value, list):
        return [resolve(roots, v, token) for v in value]
    if isinstance(value, dict):
        return {k: resolve(roots, v, token) for k, v in value.items()}
    if not isinstance(value, str) or "${" not in value:
        return value

    def one(expression: str) -> Any:
        if ":" in expression:  # a resolver, e.g. oc.env:HOME
            try:
                return OmegaConf.create({"v": "${" + expression + "}"}).v
            except OmegaConfBaseException as err:
                reason = str(err).strip().splitlines()[0]
                raise UserError(f"override '{token}': cannot resolve '${{{expression}}}' ({reason})") from None
        path = expression if expression.split(".", 1)[0] in roots else None
        if path is None:
            raise UserError(f"override '{token}': interpolate a full path, '${{env.<key>}}' or '${{agent.<key>}}'")
        return copy.deepcopy(lookup(roots, path))

    whole = _INTERPOLATION.fullmatch(value)
    if whole:
        return one(whole.group(1))
    return _INTERPOLATION.sub(lambda match: str(one(match.group(1))), value)


def lookup(roots: Mapping[str, Any], path: str, stop_at: type | None = None) -> Any:
    """The node at ``path`` below ``roots`` (one line naming the closest key when a part is unknown).

    ``stop_at``: the first node of this type on the way is returned instead of walking into it.
    """
    node: Any = roots
    walked: list[str] = []
    for part in path.split(".") if path else []:
        if stop_at is not None and isinstance(node, stop_at):
            return node
        fields = field_names(node)
        if part not in fields:
            raise UserError(f"unknown override key '{path}'{suggest(part, fields, '.'.join(walked))}")
        node = node[part] if isinstance(node, Mapping) else getattr(node, part)
        walked.append(part)
    return node


def field_names(node: Any) -> list[str]:
    """The keys of a dict node or the fields of a config class (none for a leaf)."""
    if isinstance(node, Mapping):
        return [str(k) for k in node]
    if hasattr(node, "__dataclass_fields__"):
        return list(node.__dataclass_fields__)
    return []


def suggest(name: str, candidates: Sequence[str], parent: str) -> str:
    """``; did you mean '<parent>.<closest>'?``, or which node lacks the field."""
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    prefix = f"{parent}." if parent else ""
    if close:
        return f"; did you mean '{prefix}{close[0]}'?"
    return f" ('{parent or 'the config'}' has no field '{name}')"


def coerce(token: str, current: Any, value: Any) -> Any:
    """Check ``value`` against the type of the ``current`` default and convert it where that is lossless."""
    if current is None or value is None:
        return value

    def bad(expected: str) -> UserError:
        return UserError(f"override '{token}' has the wrong type: expected {expected}")

    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if isinstance(current, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad("an integer")
        return value
    if isinstance(current, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad("a number")
        return float(value)
    if isinstance(current, str):
        return value if isinstance(value, str) else str(value)
    if isinstance(current, (list, tuple)):
        if not isinstance(value, (list, tuple)):
            raise bad("a list like [1,2]")
        return type(current)(value)
    if isinstance(current, Mapping):
        if not isinstance(value, Mapping):
            raise bad("a dict like {key:value}, or one of its keys (key.<name>=...)")
        return dict(value)
    if hasattr(current, "__dataclass_fields__"):
        raise bad(f"one of its fields ({token.split('=', 1)[0]}.<field>=...) or null")
    return value
