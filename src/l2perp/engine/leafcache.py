"""The state's commitments kept up to date block by block: every account's encoded leaf and
leaf hash, each open order's encoded row, and the L2 total, refreshed only where a block touched
the state.

`encoding.state_digest` and the rollup's state root hash every account leaf. Computed from
scratch they cost O(accounts x open orders) per block; here a block costs O(touched accounts +
changed orders) of encoding, plus one pass of C-level joining and hashing over the leaf hashes.
The bytes are exactly what the full computation gives (tests/engine/test_leafcache.py holds
them equal after every block of random order flow, and `verify=True` checks it at run time):

- an account leaf is re-encoded only when the block lists it in `BlockReceipts.touched` (the
  same promise the rollup's commitment relies on: a superset is harmless, an omission a bug);
- inside it, the whole orders list is reused from `Account.encoded_orders` while none of the
  account's orders changed and none was added or removed (`book.order_changed`,
  `open_orders.track_order` / `untrack_order` drop it); otherwise each order's row
  (`canonical(encode_order(o))`) is reused from `Order.row` unless a change of one of its
  fields cleared it (book.py, placement.py, tpsl.py, order_groups.py); an order in a TP/SL
  group is always encoded anew (its siblings' oids are part of its row), and a list holding
  one is never kept;
- the L2 total (fee pool + cash + isolated margin) is kept as a sum of per-account parts.

A cache follows one state object: handed another (a recovery, a copy), it starts over.
"""

from __future__ import annotations

from bisect import bisect_left

from ..codec import DOMAIN_STATE, canonical, h256, leaf_hash
from .encoding import ORDERS_FIELD, account_fields, encode_account, encode_order, shared_leaf
from .book import EncodedOrders, Order
from .state import Account, State


def array_header(n: int) -> bytes:
    """msgpack's header of an array of `n` items (what `canonical` writes before them)."""
    if n < 16:
        return bytes((0x90 | n,))
    if n < 1 << 16:
        return b"\xdc" + n.to_bytes(2, "big")
    return b"\xdd" + n.to_bytes(4, "big")


def order_rows(account: Account) -> bytes:
    """The account's orders as `canonical` encodes their list (oid order), from its
    `EncodedOrders`: the joined list while nothing changed; else only the rows of orders that
    changed, arrived or left (and of grouped orders) are encoded, put in place by bisection,
    and the rows joined again. Many changes at once, or rows not yet built, rebuild them all."""
    holder = account.encoded_orders
    blob = holder.blob
    if blob is not None:
        return blob
    orders = account.orders
    if not holder.valid or len(holder.dirty) * REBUILD_SHARE > len(orders):
        rebuild_rows(holder, orders)
    else:
        update_rows(holder, orders)
    blob = array_header(len(holder.rows)) + b"".join(holder.rows)
    if not holder.grouped:
        holder.blob = blob
    return blob


REBUILD_SHARE = 8  # rebuild every row once more than 1 in 8 orders changed


def row_of(order: Order) -> bytes:
    """`canonical(encode_order(order))`, from the order's cached row when it is still valid
    (a grouped order's row is never cached: its siblings' oids are part of it)."""
    row = order.row
    if row is None:
        row = canonical(encode_order(order))
        if order.group is None:
            order.row = row
    return row


def rebuild_rows(holder: EncodedOrders, orders: dict[int, Order]) -> None:
    oids = sorted(orders)
    rows: list[bytes] = []
    grouped: set[int] = set()
    for oid in oids:
        order = orders[oid]
        order.holder = holder
        if order.group is not None:
            grouped.add(oid)
        rows.append(row_of(order))
    holder.oids, holder.rows, holder.grouped = oids, rows, grouped
    holder.dirty = set()
    holder.valid = True


def update_rows(holder: EncodedOrders, orders: dict[int, Order]) -> None:
    oids, rows, grouped = holder.oids, holder.rows, holder.grouped
    for oid in sorted(holder.dirty | grouped):
        i = bisect_left(oids, oid)
        listed = i < len(oids) and oids[i] == oid
        order = orders.get(oid)
        if order is None:
            if listed:
                del oids[i]
                del rows[i]
            grouped.discard(oid)
            continue
        order.holder = holder
        if order.group is not None:
            grouped.add(oid)
        else:
            grouped.discard(oid)
        row = row_of(order)
        if listed:
            rows[i] = row
        else:
            oids.insert(i, oid)
            rows.insert(i, row)
    holder.dirty = set()


def encode_account_cached(account: Account) -> bytes:
    """Exactly `encoding.encode_account(account)`, with its orders' rows from the row cache."""
    fields = account_fields(account, [])
    head = canonical(fields[:ORDERS_FIELD])  # fixarrays: one header byte each
    tail = canonical(fields[ORDERS_FIELD + 1:])
    return array_header(len(fields)) + head[1:] + order_rows(account) + tail[1:]


def tvl_part(account: Account) -> int:
    """What one account adds to the L2 total: cash + isolated margin (micro-USDC, exact)."""
    total = account.cash_musdc
    for position in account.positions.values():
        total += position.iso_raw_musdc
    return total


class LeafCache:
    """Encoded leaves, leaf hashes and L2-total parts of one state's accounts."""

    def __init__(self, verify: bool = False) -> None:
        """`verify`: after every refresh, encode the whole state from scratch and raise
        AssertionError at the first leaf that differs (tests and `L2PERP_VERIFY_LEAVES=1`)."""
        self.verify = verify
        self.state: State | None = None
        self.height = -1
        self.leaves: dict[str, bytes] = {}  # address -> encoded leaf
        self.hashes: dict[str, bytes] = {}  # address -> leaf hash
        self.parts: dict[str, int] = {}  # address -> cash + isolated margin
        self.sorted_addresses: list[str] = []
        self.accounts_total = 0  # sum of parts
        self.changed: set[str] = set()  # addresses refreshed since `take_changed`
        self._accounts_hash: bytes | None = None
        self._shared_hash: bytes | None = None  # of the state last refreshed, once asked

    def refresh(self, state: State, touched: list[str] | None) -> None:
        """Bring the cache to `state`: re-encode the `touched` accounts (every account when None,
        when the state is not the one followed so far, or when its height did not advance by
        exactly one block since the last refresh). Idempotent for a height already taken."""
        if state is self.state and state.height == self.height:
            return
        full = touched is None or state is not self.state or state.height != self.height + 1
        if full:
            self._reset(state)
            addresses: list[str] = list(state.accounts)
        else:
            addresses = [a for a in touched if a in state.accounts] if touched else []
        accounts = state.accounts
        leaves, hashes, parts = self.leaves, self.hashes, self.parts
        for address in addresses:
            account = accounts[address]
            leaf = encode_account_cached(account)
            leaves[address] = leaf
            hashes[address] = leaf_hash(leaf)
            part = tvl_part(account)
            self.accounts_total += part - parts.get(address, 0)
            parts[address] = part
            self.changed.add(address)
        if len(self.sorted_addresses) != len(leaves):  # accounts arrived (none ever leaves)
            self.sorted_addresses = sorted(leaves)
        if addresses or full:
            self._accounts_hash = None
        self._shared_hash = None
        self.height = state.height
        if self.verify:
            self.check(state)

    def forget(self) -> None:
        """Let the next refresh encode every account again (the state may have changed
        outside a block)."""
        self.height = -1

    def _reset(self, state: State) -> None:
        self.state = state
        self.leaves = {}
        self.hashes = {}
        self.parts = {}
        self.sorted_addresses = []
        self.accounts_total = 0
        self.changed = set()
        self._accounts_hash = None

    def accounts_hash(self) -> bytes:
        """`encoding.accounts_hash` of the state last refreshed."""
        cached = self._accounts_hash
        if cached is None:
            hashes = self.hashes
            cached = h256(b"".join([hashes[a] for a in self.sorted_addresses]))
            self._accounts_hash = cached
        return cached

    def shared_hash(self, state: State) -> bytes:
        """`h256(canonical(shared_leaf(state)))` of the state last refreshed, computed once per
        refresh (the logged digest and the state root both hash it)."""
        cached = self._shared_hash
        if cached is None:
            cached = h256(canonical(shared_leaf(state)))
            self._shared_hash = cached
        return cached

    def digest(self, state: State) -> bytes:
        """`encoding.state_digest(state)`, for the state last refreshed."""
        return h256(DOMAIN_STATE + self.shared_hash(state) + self.accounts_hash())

    def tvl_musdc(self, state: State) -> int:
        """`rollup.accounting.tvl_musdc(state)`: fee pool + Σ cash and isolated margin."""
        return state.fee_pool_musdc + self.accounts_total

    def take_changed(self) -> list[str]:
        """The addresses refreshed since the last call, sorted (what a Merkle tree following
        this cache must re-hash), and forget them."""
        out = sorted(self.changed)
        self.changed = set()
        return out

    def check(self, state: State) -> None:
        """Compare every cached leaf, hash and part with a fresh encoding of `state`."""
        if sorted(self.leaves) != sorted(state.accounts):
            raise AssertionError("leaf cache: the accounts differ from the state's")
        for address, account in state.accounts.items():
            fresh = encode_account(account)
            if self.leaves[address] != fresh:
                raise AssertionError(f"leaf cache: stale leaf of {address} at height "
                                     f"{state.height} (an order or account change that did not "
                                     "clear its cached row, or an account missing from touched)")
            if self.parts[address] != tvl_part(account):
                raise AssertionError(f"leaf cache: stale L2-total part of {address}")
