"""A fast reader for ordinary scenario YAML: libyaml's C parser (through PyYAML), for the common case only.

The scenario reader of record is ruamel.yaml's pure-Python round-trip loader, with the depth limit, the
screen and the locating constructor of :mod:`coyuntura.scenario.loader`: YAML 1.2, plain data only, and
every refusal naming its line. It takes about half a second for the bundled scenario. This module reads
the same files in a few hundredths of a second, and builds exactly the plain data that loader builds,
with the line and column of every key and item (:class:`LocatedMap`, :class:`LocatedSeq`, standing in
for ruamel's ``lc``), but only for text whose every construct the two parsers are known to read alike.
For anything else :func:`read_fast` returns None and the caller reads the text with ruamel, so errors
and edge cases are ruamel's, unchanged.

Only events are taken from libyaml; no PyYAML constructor or resolver (YAML 1.1: ``yes`` is a boolean
there, ``010`` octal, ``1:30`` sexagesimal) ever runs. A plain scalar's type is decided by ruamel's own
YAML 1.2 resolver, and only a few forms are built here; None (ruamel reads the text) whenever:

- the text has a character outside printable ASCII and ordinary non-ASCII letters: a tab, a carriage
  return, NEL, the line and paragraph separators or a byte-order mark (escape sequences such as ``\\n``
  or ``\\u00e9`` in double quotes are read alike by both, and taken);
- libyaml refuses the text (ruamel words the error);
- a colon with no space after it right after a quote, a closing bracket or at a line's start
  (``["a":b]``), ``#`` right after ``|`` or ``>`` (``key: |#``), or a block scalar whose first line holds
  only spaces: libyaml reads these, ruamel refuses some of them;
- a ``%YAML`` or ``%TAG`` directive, a second document, or no document at all;
- a tag (even ``!``), an anchor or an alias;
- the top level is not a mapping; a key that is not a string (a number, a boolean, null, a date, ``<<``,
  ``=``, a collection), a key written as a block scalar (``? |``), or a key repeated in its mapping
  (ruamel refuses duplicates);
- an empty value (null, but marked at a different place by each parser);
- a plain scalar ruamel reads as anything but a string, null, ``true``/``false`` (any of its three
  spellings), a short decimal integer without a leading zero or underscores, a short decimal float
  (``1.5``, ``-0.25``, ``1e3``, ``2.0E-4``; not ``.5`` or ``1_000.0``), or ``.inf``, ``-.inf``, ``.nan``
  (ruamel's own infinity and not-a-number, whose sign bit is set): not a date, ``0x1F``, ``1:30`` or ``=``;
- collections nested deeper than half the depth limit, or more values than the node limit.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.resolver import VersionedResolver

__all__ = ["LocatedMap", "LocatedSeq", "fast_reader_available", "read_fast"]

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"

_SAFE_TEXT = re.compile(r"[\n\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*")
"""Text the fast reader takes: newlines, printable ASCII, and printable non-ASCII characters but the
byte-order mark (so no tab, carriage return, NEL, U+2028 or U+2029)."""

_LENIENT = re.compile(r"(?:[\"'\]}][ \n]*|^ *):[^ \n]|[|>][-+0-9]*(?:#| *(?: #[^\n]*)?\n +\n)", re.MULTILINE)
"""What libyaml takes and ruamel refuses: a value right after the colon of a quoted key, a bracketed one or
an explicit one on the line before (``["a":b]``, ``["a" :b]``, ``[? a #c`` then ``:b]``, in a flow
sequence); a comment right after a block scalar's indicator (``|#``); a block scalar whose first line holds
only spaces, and fewer than a later line before its text (ruamel: "more indented follow up line than
first"). Any text with a quote, a closing bracket or a line's start followed so, or with ``|`` or ``>``
followed by ``#`` or by a line of spaces, is left to ruamel."""

_SIMPLE_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]{0,49})")
_SIMPLE_FLOAT = re.compile(r"[-+]?[0-9]{1,50}(?:\.[0-9]{0,50}(?:[eE][-+]?[0-9]{1,3})?|[eE][-+]?[0-9]{1,3})")


class _Unsure(Exception):
    """The text uses something the fast reader leaves to ruamel."""


@cache
def _libyaml() -> Any:
    """PyYAML's libyaml binding (``yaml._yaml``), or None where PyYAML or libyaml is missing."""
    try:
        import yaml  # type: ignore[import-untyped]
        from yaml import _yaml
    except ImportError:
        return None
    if not getattr(yaml, "__with_libyaml__", False) or not hasattr(_yaml, "CParser"):
        return None
    return _yaml


def fast_reader_available() -> bool:
    """Whether libyaml can be used here (PyYAML built with it); without it every text is read by ruamel."""
    return _libyaml() is not None


@cache
def _resolvers() -> dict[Any, list[tuple[str, Any]]]:
    """ruamel's implicit resolvers for YAML 1.2, the version its round-trip loader reads by default:
    first character of a plain scalar -> (tag, pattern), tried in order."""
    table: dict[Any, list[tuple[str, Any]]] = VersionedResolver(version=(1, 2)).versioned_resolver
    return {first: list(entries) for first, entries in table.items()}


def _tag(value: str) -> str:
    """The tag ruamel's YAML 1.2 resolver gives an untagged plain scalar (as ``VersionedResolver.resolve``)."""
    table = _resolvers()
    for tag, pattern in table.get(value[0] if value else "", []) + table.get(None, []):
        if pattern.match(value):
            return str(tag)
    return _STR


def _plain_scalar(value: str) -> Any:
    """An untagged plain scalar as ruamel's round-trip constructor reads it (as a plain Python value)."""
    if not value:  # an empty value: null, but libyaml and ruamel mark it at different places
        raise _Unsure("an empty value")
    tag = _tag(value)
    if tag == _STR:
        return value
    if tag == _NULL:
        return None
    if tag == _BOOL:  # YAML 1.2: true, True, TRUE, false, False, FALSE
        return value.lower() == "true"
    if tag == _INT and _SIMPLE_INT.fullmatch(value):
        return int(value)
    if tag == _FLOAT:
        if _SIMPLE_FLOAT.fullmatch(value):
            return float(value)
        special = value.lower()
        if special in (".inf", "+.inf", "-.inf"):
            return -SafeConstructor.inf_value if special[0] == "-" else SafeConstructor.inf_value
        if special == ".nan":
            return SafeConstructor.nan_value
    raise _Unsure(value)


class LocatedMap:
    """Where a mapping read by :func:`read_fast` is in the text: its own line and column, each key's
    (0-based, as ruamel's ``lc``), and the :class:`LocatedMap` or :class:`LocatedSeq` of each value that
    is a collection. What the loader takes from ruamel's ``CommentedMap`` for the lines of problems."""

    __slots__ = ("line", "col", "keys", "children")

    def __init__(self, line: int, col: int) -> None:
        self.line = line
        self.col = col
        self.keys: dict[str, tuple[int, int]] = {}
        self.children: dict[str, LocatedMap | LocatedSeq] = {}


class LocatedSeq:
    """Where a sequence read by :func:`read_fast` is in the text: its own line and column, each item's,
    and the :class:`LocatedMap` or :class:`LocatedSeq` of each item that is a collection."""

    __slots__ = ("line", "col", "items", "children")

    def __init__(self, line: int, col: int) -> None:
        self.line = line
        self.col = col
        self.items: list[tuple[int, int]] = []
        self.children: dict[int, LocatedMap | LocatedSeq] = {}


def read_fast(text: str, max_depth: int, max_nodes: int) -> tuple[dict[str, Any], LocatedMap] | None:
    """The text as plain data, exactly as ruamel's round-trip loader reads it (then made plain), and where
    its keys and items are; or None: libyaml is missing, or the text uses anything listed in this
    module's docstring, and the caller reads the text with ruamel.

    ``max_depth``: the most levels of nesting ruamel's reader allows (half of it is taken here);
    ``max_nodes``: the most values a scenario may hold."""
    binding = _libyaml()
    if binding is None or not _SAFE_TEXT.fullmatch(text) or _LENIENT.search(text):
        return None
    parser = binding.CParser(text)
    try:
        return _build(parser, _events(), max_depth // 2, max_nodes)
    except (_Unsure, binding.YAMLError):
        return None
    finally:
        parser.dispose()


@cache
def _events() -> Any:
    """PyYAML's event classes (the binding builds its events from them)."""
    from yaml import events

    return events


def _build(parser: Any, events: Any, max_depth: int, max_nodes: int) -> tuple[dict[str, Any], LocatedMap]:
    """The one document of a libyaml event stream, built as ruamel builds it; raises :class:`_Unsure`."""
    scalar_event, mapping_start, sequence_start = events.ScalarEvent, events.MappingStartEvent, events.SequenceStartEvent
    collection_end = (events.MappingEndEvent, events.SequenceEndEvent)
    parser.get_event()  # the stream start
    event = parser.get_event()
    if event.__class__ is not events.DocumentStartEvent or event.version is not None or event.tags:
        raise _Unsure("no document, or a directive")
    event = parser.get_event()
    if event.__class__ is not mapping_start or event.anchor is not None or event.tag is not None:
        raise _Unsure("the top level is not a plain mapping")
    mark = event.start_mark
    root: dict[str, Any] = {}
    root_located = LocatedMap(mark.line, mark.column)
    # The open collections, innermost last: [plain dict or list, its located, the key waiting for its value].
    stack: list[list[Any]] = [[root, root_located, None]]
    top = stack[-1]
    nodes = 1
    while True:
        event = parser.get_event()
        cls = event.__class__
        if cls in collection_end:
            stack.pop()
            if not stack:
                break
            top = stack[-1]
            continue
        if event.anchor is not None or event.tag is not None or (cls is not scalar_event and cls is not mapping_start and cls is not sequence_start):
            raise _Unsure("an alias, anchor or tag")
        nodes += 1
        if nodes > max_nodes:
            raise _Unsure("too many values")
        container, located, key = top
        mark = event.start_mark
        is_map = container.__class__ is dict
        if is_map and key is None:  # a key: a string, new in its mapping
            if cls is not scalar_event:
                raise _Unsure("a collection as a key")
            key = event.value
            if (event.implicit[0] and _tag(key) != _STR) or event.style in ("|", ">"):
                raise _Unsure("a key that is not a string (or is a block scalar: a str subclass in ruamel)")
            if key in container:
                raise _Unsure("a duplicate key")
            top[2] = key
            located.keys[key] = (mark.line, mark.column)
            continue
        if cls is scalar_event:
            value: Any = _plain_scalar(event.value) if event.implicit[0] else event.value
            if is_map:
                container[key] = value
                top[2] = None
            else:
                located.items.append((mark.line, mark.column))
                container.append(value)
            continue
        child: LocatedMap | LocatedSeq
        if cls is mapping_start:
            value, child = {}, LocatedMap(mark.line, mark.column)
        else:
            value, child = [], LocatedSeq(mark.line, mark.column)
        if is_map:
            container[key] = value
            located.children[key] = child
            top[2] = None
        else:
            located.children[len(container)] = child
            located.items.append((mark.line, mark.column))
            container.append(value)
        top = [value, child, None]
        stack.append(top)
        if len(stack) > max_depth:
            raise _Unsure("nested deeply")
    if parser.get_event().__class__ is not events.DocumentEndEvent or parser.get_event().__class__ is not events.StreamEndEvent:
        raise _Unsure("more than one document")
    return root, root_located
