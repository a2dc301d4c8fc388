"""Type checks for the blocks of a batch body: every field of every engine dataclass and
NamedTuple holds what its annotation in engine/tx.py says, so a poster cannot hand the engine a
string, a None or a bool where it counts with an int, or one action where another belongs.

The codec builds transactions without looking at field types, and the engine trusts them
(engine/tx.py: "already parsed"). Checked here, whatever reaches re-execution is well-typed, and
an exception during re-execution is the engine's fault, not the poster's (rollup/judge.py).
The checks are compiled once from the annotations as the source declares them (`declared_hints`).
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import sys
import types
import typing
from pathlib import Path
from typing import Any

from ..engine.l1messages import L1_KINDS
from ..engine.tx import Action, Block, Tx
from ..engine.txcodec import RECORDS

MAX_ARGS_DEPTH = 16  # tuples in a bare `tuple` field (governance values; the wire allows 5 levels)
MAX_NAMED = 4  # a union of more alternatives is described by its count

Check = typing.Callable[[Any], typing.Optional[str]]  # None: well-typed; else the problem

# Tx.action is annotated `Action`, which leaves out the L1-message actions that system
# transactions carry; the engine's L1_KINDS names them.
ACTIONS = typing.Union[tuple(dict.fromkeys(typing.get_args(Action) + L1_KINDS))]


PLAIN = (int, bool, str, bytes, type(None))  # compared by exact type: a bool is no int


class ObjectView:
    """Reads decoded records: a record is an instance of its class, a tuple a tuple."""

    @staticmethod
    def classify(value: Any) -> object:
        """What tells union alternatives apart: the value's class."""
        return type(value)

    @staticmethod
    def kind(value: Any) -> str:
        return type(value).__name__

    @staticmethod
    def is_tuple(value: Any) -> bool:
        return type(value) is tuple

    @staticmethod
    def fields(value: Any, cls: type, names: tuple[str, ...]) -> list | str:
        """The field values of `value` as a `cls` record, or what is wrong."""
        if type(value) is not cls:
            return f"expected {cls.__name__}, got {type(value).__name__}"
        return [getattr(value, name) for name in names]


class TreeView:
    """Reads the msgpack tree of a body before any record is built from it: a record is the
    one-entry map {tag: [fields]} (codec.Records), a tuple a list. Checked this way, nothing
    ill-typed ever reaches a record's constructor (a compiled record would refuse it there)."""

    @staticmethod
    def record_class(value: Any) -> type | None:
        if type(value) is dict and len(value) == 1:
            tag = next(iter(value))
            return RECORDS.class_of.get(tag) if type(tag) is int else None
        return None

    @staticmethod
    def classify(value: Any) -> object:
        if type(value) is list:
            return tuple
        cls = TreeView.record_class(value)
        return cls if cls is not None else type(value)

    @staticmethod
    def kind(value: Any) -> str:
        if type(value) is list:
            return "tuple"
        cls = TreeView.record_class(value)
        if cls is not None:
            return cls.__name__
        if type(value) is dict and len(value) == 1:
            return f"record {next(iter(value))!r}"
        return type(value).__name__

    @staticmethod
    def is_tuple(value: Any) -> bool:
        return type(value) is list

    @staticmethod
    def fields(value: Any, cls: type, names: tuple[str, ...]) -> list | str:
        if TreeView.record_class(value) is not cls:
            return f"expected {cls.__name__}, got {TreeView.kind(value)}"
        values = next(iter(value.values()))
        if type(values) is not list or len(values) != len(names):
            return f"{cls.__name__} needs {len(names)} fields"
        return values


View = typing.Union[type[ObjectView], type[TreeView]]


def _wanted(names: list[str]) -> str:
    return " | ".join(names) if len(names) <= MAX_NAMED else f"one of {len(names)} types"


def plain_types(hint: object) -> tuple[type, ...] | None:
    """The exact types a plain annotation admits (`int`, `str | None`, ...), or None when it
    names anything else. Ints of any size: their range is the engine's business, as for a
    signed request, and the codec encodes every int (codec.BIGINT_EXT)."""
    if hint in PLAIN:
        return (hint,)
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        alternatives = typing.get_args(hint)
        if all(a in PLAIN for a in alternatives):
            return alternatives
    return None


def _exact(allowed: tuple[type, ...], view: View) -> Check:
    wanted = _wanted(["None" if t is type(None) else t.__name__ for t in allowed])

    def check(value: Any) -> str | None:
        return None if type(value) in allowed else f"expected {wanted}, got {view.kind(value)}"
    return check


def args_check(view: View) -> Check:
    """A bare `tuple` field: ints, strs, bools and tuples of them (governance values), bounded
    nesting."""
    def check_args(value: Any, depth: int = 0) -> str | None:
        if view.is_tuple(value):
            if depth >= MAX_ARGS_DEPTH:
                return "tuples nested too deeply"
            for i, item in enumerate(value):
                problem = check_args(item, depth + 1)
                if problem is not None:
                    return f"[{i}]: {problem}"
            return None
        if depth == 0:
            return f"expected tuple, got {view.kind(value)}"
        kind = type(value)
        if kind is int or kind is str or kind is bool:
            return None
        return f"expected int, str, bool or tuple, got {view.kind(value)}"
    return check_args


@functools.cache
def _class_annotations(module_name: str) -> dict[str, dict[str, str]]:
    """Each class's annotation sources in a module's .py file, by class and field name."""
    root = Path(sys.modules["l2perp"].__file__ or "").parent  # never compiled: a plain package
    tree = ast.parse(root.joinpath(*module_name.split(".")[1:]).with_suffix(".py").read_text())
    return {node.name: {stmt.target.id: ast.unparse(stmt.annotation) for stmt in node.body
                        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)}
            for node in tree.body if isinstance(node, ast.ClassDef)}


def declared_hints(cls: type) -> dict[str, object]:
    """A record's field annotations as written in its source, evaluated in its module.

    Not `typing.get_type_hints`: a class compiled by mypyc (the compiled core) keeps only
    `type` for every annotation that is not a plain class, so its source is the one truth
    in both builds."""
    module = sys.modules[cls.__module__]
    return {name: eval(text, vars(module))  # noqa: S307 - our own source's annotations
            for name, text in _class_annotations(cls.__module__)[cls.__name__].items()}


class _Compiler:
    """Turns annotations into checks, one per record type (records nest: Tx -> action ->
    OrderSpec -> Dec)."""

    def __init__(self, overrides: dict[tuple[type, str], object], view: View) -> None:
        self.overrides = overrides
        self.view = view
        self.records: dict[object, Check] = {}

    def check_of(self, hint: object) -> Check:
        plain = plain_types(hint)
        if plain is not None:
            return _exact(plain, self.view)
        if hint is tuple:
            return args_check(self.view)
        origin = typing.get_origin(hint)
        if origin is typing.Union or origin is types.UnionType:
            return self.union(typing.get_args(hint))
        if origin is tuple:
            args = typing.get_args(hint)
            if len(args) == 2 and args[1] is Ellipsis:
                return self.homogeneous(self.check_of(args[0]), self.view)
            return self.fixed([self.check_of(a) for a in args], self.view)
        if isinstance(hint, type) and (dataclasses.is_dataclass(hint) or
                                       issubclass(hint, tuple) and hasattr(hint, "_fields")):
            return self.record(hint)
        raise TypeError(f"txcheck cannot check {hint!r}: teach it this annotation")

    def record(self, cls: type) -> Check:
        """The exact class, then each field against its annotation (plain ones inline: most
        fields are, and a judge checks thousands of transactions)."""
        if cls in self.records:
            return self.records[cls]
        names: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(cls)) \
            if dataclasses.is_dataclass(cls) else tuple(getattr(cls, "_fields"))
        hints = declared_hints(cls)
        fields: list[tuple[str, tuple[type, ...] | None, Check | None]] = []
        read = self.view.fields
        kind = self.view.kind

        def check(value: Any) -> str | None:
            values = read(value, cls, names)
            if type(values) is str:
                return values
            for item, (name, allowed, field_check) in zip(values, fields):
                if allowed is not None:
                    if type(item) in allowed:
                        continue
                    problem = f"expected {_wanted([_name(t) for t in allowed])}, got {kind(item)}"
                else:
                    assert field_check is not None
                    found = field_check(item)
                    if found is None:
                        continue
                    problem = found
                return f"{cls.__name__}.{name}: {problem}"
            return None

        self.records[cls] = check  # before the fields: a record may (one day) nest itself
        for name in names:
            hint = self.overrides.get((cls, name), hints[name])
            allowed = plain_types(hint)
            fields.append((name, allowed, None if allowed else self.check_of(hint)))
        return check

    def union(self, alternatives: tuple) -> Check:
        """Records are told apart by their exact class, a tuple by the one tuple alternative
        (so a wrong field inside either is named); other alternatives are tried in turn."""
        by_class: dict[object, Check] = {a: self.check_of(a) for a in alternatives
                    if isinstance(a, type) and a not in PLAIN and a is not tuple}
        shaped = [a for a in alternatives if a is tuple or typing.get_origin(a) is tuple]
        if len(shaped) == 1:
            by_class[tuple] = self.check_of(shaped[0])
        others = [self.check_of(a) for a in alternatives
                  if a not in by_class and a not in shaped]
        wanted = _wanted([_name(a) if isinstance(a, type) else str(a) for a in alternatives])
        view = self.view

        def check(value: Any) -> str | None:
            record_check = by_class.get(view.classify(value))
            if record_check is not None:
                return record_check(value)
            for other in others:
                if other(value) is None:
                    return None
            return f"expected {wanted}, got {view.kind(value)}"
        return check

    @staticmethod
    def homogeneous(item: Check, view: View) -> Check:
        def check(value: Any) -> str | None:
            if not view.is_tuple(value):
                return f"expected tuple, got {view.kind(value)}"
            for i, element in enumerate(value):
                problem = item(element)
                if problem is not None:
                    return f"[{i}]: {problem}"
            return None
        return check

    @staticmethod
    def fixed(items: list[Check], view: View) -> Check:
        def check(value: Any) -> str | None:
            if not view.is_tuple(value):
                return f"expected tuple, got {view.kind(value)}"
            if len(value) != len(items):
                return f"expected {len(items)} items, got {len(value)}"
            for i, (element, item) in enumerate(zip(value, items)):
                problem = item(element)
                if problem is not None:
                    return f"[{i}]: {problem}"
            return None
        return check


def _name(t: type) -> str:
    return "None" if t is type(None) else t.__name__


_OVERRIDES: dict[tuple[type, str], object] = {(Tx, "action"): ACTIONS}
_OBJECTS = _Compiler(_OVERRIDES, ObjectView)
_TREES = _Compiler(_OVERRIDES, TreeView)
_CHECK_BLOCK = _OBJECTS.record(Block)
_CHECK_TX = _OBJECTS.record(Tx)
_CHECK_BLOCK_TREE = _TREES.record(Block)
_CHECK_TX_TREE = _TREES.record(Tx)


def check_block(block: object) -> str | None:
    """What is ill-typed in a decoded block (the first problem found), or None."""
    return _CHECK_BLOCK(block)


def check_tx(tx: object) -> str | None:
    """What is ill-typed in a transaction (the first problem found), or None: a sequencer can
    screen with it what it lets into a block, since a batch holding it would not commit."""
    return _CHECK_TX(tx)


def check_block_tree(tree: object) -> str | None:
    """What is ill-typed in the msgpack tree of one encoded block (`codec.uncanonical` of its
    bytes), or None; the same words as `check_block` would say of the decoded block. A tree
    that passes decodes (`txcodec.RECORDS.unpack`) into well-typed records."""
    return _CHECK_BLOCK_TREE(tree)


def check_tx_tree(tree: object) -> str | None:
    """`check_block_tree` for one encoded transaction."""
    return _CHECK_TX_TREE(tree)
