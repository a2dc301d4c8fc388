"""A fixed-depth sparse Merkle tree over account leaves (docs/mechanics.md).

Leaves are the engine's canonical account encodings at the account's dense index; leaf and node
hashes are domain-separated blake2b-256 (`codec.leaf_hash`, `codec.node_hash`); an empty leaf
hashes to `leaf_hash(b"")` and empty subtrees are precomputed per height. Updates touch only the
paths of changed leaves (one hash per level per distinct parent). Every node is also kept by its
hash, so any earlier root stays readable: proofs can be taken against it.

Heights count from the leaves (0) to the root (depth). A proof lists the sibling hashes from the
leaf upward.
"""

from __future__ import annotations

from typing import Final

from hashlib import blake2b

from ..codec import DOMAIN_NODE, leaf_hash, node_hash

DEPTH: Final = 32
EMPTY_LEAF: Final = leaf_hash(b"")


def empty_subtrees(depth: int) -> list[bytes]:
    """ZERO[h]: the root of an all-empty subtree of height h."""
    zero = [EMPTY_LEAF]
    for _ in range(depth):
        zero.append(node_hash(zero[-1], zero[-1]))
    return zero


ZERO: Final = empty_subtrees(DEPTH)


class SparseMerkleTree:
    """Current nodes by position, all versions' nodes by hash."""

    def __init__(self, depth: int = DEPTH, history: bool = True) -> None:
        """`history`: keep every version's nodes so older roots stay readable (proofs against
        old roots); without it only the current tree is kept (a follower's memory stays flat)."""
        self.depth = depth
        self.history = history
        self.zero = ZERO if depth == DEPTH else empty_subtrees(depth)
        self.nodes: dict[tuple[int, int], bytes] = {}  # (height, index) -> hash, non-empty only
        self.children: dict[bytes, tuple[bytes, bytes]] = {}  # node hash -> (left, right)
        self.root = self.zero[depth]

    def node(self, height: int, index: int) -> bytes:
        return self.nodes.get((height, index), self.zero[height])

    def leaf(self, index: int) -> bytes:
        return self.node(0, index)

    def update(self, leaves: dict[int, bytes | None]) -> bytes:
        """Set leaves (encoded bytes, or None to empty them) and return the new root."""
        return self.update_hashes({index: EMPTY_LEAF if data is None else leaf_hash(data)
                                   for index, data in leaves.items()})

    def update_hashes(self, level: dict[int, bytes]) -> bytes:
        """Set leaves by their leaf hashes (`codec.leaf_hash` of the encoded leaf, EMPTY_LEAF
        for an empty one) and return the new root."""
        zero = self.zero
        nodes = self.nodes
        for index in level:
            if not 0 <= index < 1 << self.depth:
                raise IndexError(f"leaf index {index} outside the tree")
        if len(level) == 1:
            return self._update_one(*next(iter(level.items())))
        history = self.history
        for height in range(self.depth):
            empty = zero[height]
            for index, value in level.items():
                if value == empty:
                    nodes.pop((height, index), None)
                else:
                    nodes[(height, index)] = value
            parents: dict[int, bytes] = {}
            for index in sorted({i >> 1 for i in level}):
                left = level.get(index << 1) or nodes.get((height, index << 1), empty)
                right = level.get((index << 1) | 1) or nodes.get((height, (index << 1) | 1),
                                                                 empty)
                parent = node_hash(left, right)
                if history and parent != zero[height + 1]:
                    self.children[parent] = (left, right)
                parents[index] = parent
            level = parents
        return self._set_root(level[0] if level else self.root)

    def _set_root(self, root: bytes) -> bytes:
        if root == self.zero[self.depth]:
            self.nodes.pop((self.depth, 0), None)
        else:
            self.nodes[(self.depth, 0)] = root
        self.root = root
        return root

    def _update_one(self, index: int, value: bytes) -> bytes:
        """One leaf, by its hash: walk its path alone (a block touching one account)."""
        zero = self.zero
        nodes = self.nodes
        children = self.children if self.history else None
        for height in range(self.depth):
            empty = zero[height]
            if value == empty:
                nodes.pop((height, index), None)
            else:
                nodes[(height, index)] = value
            sibling = nodes.get((height, index ^ 1), empty)
            if index & 1:
                left, right = sibling, value
            else:
                left, right = value, sibling
            value = blake2b(DOMAIN_NODE + left + right, digest_size=32).digest()
            if children is not None and value != zero[height + 1]:
                children[value] = (left, right)
            index >>= 1
        return self._set_root(value)

    def proof(self, index: int, root: bytes | None = None) -> list[bytes]:
        """Sibling hashes from the leaf up, against `root` (default: the current root)."""
        if root is None or root == self.root:
            return [self.node(h, (index >> h) ^ 1) for h in range(self.depth)]
        path = []
        node = root
        for height in range(self.depth, 0, -1):
            left, right = self._children(node, height)
            bit = (index >> (height - 1)) & 1
            path.append(left if bit else right)
            node = right if bit else left
        path.reverse()
        return path

    def _children(self, node: bytes, height: int) -> tuple[bytes, bytes]:
        if node == self.zero[height]:
            return self.zero[height - 1], self.zero[height - 1]
        try:
            return self.children[node]
        except KeyError:
            raise KeyError("that root is not in this tree's history") from None

    def leaf_at(self, index: int, root: bytes) -> bytes:
        """The leaf hash at `index` under an earlier `root`."""
        node = root
        for height in range(self.depth, 0, -1):
            left, right = self._children(node, height)
            node = right if (index >> (height - 1)) & 1 else left
        return node

    def multiproof(self, indices: list[int], root: bytes | None = None) -> list[bytes]:
        """The hashes a verifier needs besides the given leaves, in a fixed order: for each
        height from the bottom, the missing siblings in index order."""
        if root is not None and root != self.root:
            known = {i: self.leaf_at(i, root) for i in indices}
            read = self._reader(root)
        else:
            known = {i: self.leaf(i) for i in indices}
            read = self.node
        out: list[bytes] = []
        level = set(known)
        for height in range(self.depth):
            needed = sorted({i ^ 1 for i in level} - level)
            out.extend(read(height, i) for i in needed)
            level = {i >> 1 for i in level}
        return out

    def _reader(self, root: bytes):
        def read(height: int, index: int) -> bytes:
            node = root
            for h in range(self.depth, height, -1):
                left, right = self._children(node, h)
                node = right if (index >> (h - 1 - height)) & 1 else left
            return node
        return read


def verify_proof(root: bytes, index: int, leaf: bytes | None, siblings: list[bytes],
                 depth: int = DEPTH) -> bool:
    """True when `leaf` (encoded bytes, None for empty) sits at `index` under `root`."""
    if len(siblings) != depth or type(index) is not int or not 0 <= index < 1 << depth:
        return False
    node = EMPTY_LEAF if leaf is None else leaf_hash(leaf)
    for sibling in siblings:  # node_hash inlined: this loop is the escape's and claim's cost
        if index & 1:
            node = blake2b(DOMAIN_NODE + sibling + node, digest_size=32).digest()
        else:
            node = blake2b(DOMAIN_NODE + node + sibling, digest_size=32).digest()
        index >>= 1
    return node == root


def verify_multiproof(root: bytes, leaves: dict[int, bytes | None], proof: list[bytes],
                      depth: int = DEPTH) -> bool:
    """True when every given leaf sits at its index under `root` (proof from `multiproof`)."""
    level = {i: EMPTY_LEAF if data is None else leaf_hash(data) for i, data in leaves.items()}
    if not level:
        return False
    supply = iter(proof)
    try:
        for _ in range(depth):
            for i in sorted({i ^ 1 for i in level} - set(level)):
                level[i] = next(supply)
            level = {i >> 1: node_hash(level[(i >> 1) << 1], level[((i >> 1) << 1) | 1])
                     for i in level}
    except StopIteration:
        return False
    if next(supply, None) is not None:
        return False
    return level.get(0) == root
