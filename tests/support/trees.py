"""Msgpack trees of records that need not be well-typed: what a poster may put in a batch body,
and what no compiled record class would let a test build (it refuses an ill-typed field at
construction). `R(Tx, user, "1", R(Noop, "x"))` is the tree of a Tx whose nonce is a string;
`canonical([...])` of such trees is a body."""

from __future__ import annotations

import dataclasses

from l2perp.engine.txcodec import RECORDS, TAGS

TAG_OF = {cls: tag for tag, cls in TAGS.items()}


def tree_of(value):
    """The msgpack tree of a value that may hold trees already (`R` records)."""
    if type(value) is dict:
        return value
    if type(value) in TAG_OF:
        return RECORDS.pack(value)
    if isinstance(value, (tuple, list)):
        return [tree_of(v) for v in value]
    return value


def R(cls, *fields, **named):
    """The tree of a `cls` record holding `fields`, then `named` ones, the rest at their
    defaults, whatever their types."""
    declared = dataclasses.fields(cls)
    values = list(fields) + [named.get(f.name, f.default) for f in declared[len(fields):]]
    return {TAG_OF[cls]: [tree_of(v) for v in values]}
