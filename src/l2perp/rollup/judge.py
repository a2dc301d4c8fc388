"""The fraud-proof judge: single-batch re-execution with a stateless witness (docs/mechanics.md).

The witness is the shared-state preimage and the leaves of the batch's pre-state. The judge
rebuilds the positions tree from exactly those leaves, so they must be every non-empty leaf: a
multiproof whose remaining siblings are all empty subtrees (an omitted account would change the
root). This is deliberate: the engine's per-block passes (funding, the liquidation scan, books
rebuilt from the orders in their owners' leaves) read every account with a position or an order,
and without a committed address directory no judge could tell an omitted account from an absent
one. The judge trusts nothing else: the genesis configuration, `prev_root`, the body and the
withdrawal list are L1 data.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..codec import DOMAIN_STATE, canonical, h256
from ..engine.decoding import DecodeError, decode_state
from ..engine.encoding import encode_account, shared_leaf
from ..engine.params import EngineConfig
from ..engine.state import State
from ..engine.stf import InvalidBlock
from .batch import (
    BatchFormatError, BatchHeader, BatchResult, WithdrawalEntry, decode_body, execute_batch,
    list_root,
)
from .authpool import BatchAuthenticator
from .commitment import Commitment


class WitnessError(ValueError):
    """A witness that does not open the claimed pre-state root."""


@dataclass(frozen=True)
class Witness:
    """The pre-state of a batch: shared-state preimage and every account leaf."""

    shared: bytes
    leaves: tuple[bytes, ...]

    def size(self) -> int:
        return len(self.shared) + sum(len(leaf) for leaf in self.leaves)


def witness_of(state: State) -> Witness:
    """The witness for a batch whose pre-state is `state`."""
    accounts = state.accounts
    return Witness(canonical(shared_leaf(state)),
                   tuple(encode_account(accounts[a]) for a in sorted(accounts)))


def open_witness(config: EngineConfig, root: bytes, witness: Witness) -> tuple[State, Commitment]:
    """The state and its tree, when `witness` opens `root`; WitnessError otherwise."""
    state = decode_witness(config, witness)
    return state, check_witness(state, root, witness)


def decode_witness(config: EngineConfig, witness: Witness) -> State:
    """The state a witness encodes, not yet checked against any root; WitnessError when it does
    not decode."""
    try:
        return decode_state(config, witness.shared, list(witness.leaves))
    except (DecodeError, KeyError, IndexError, TypeError, ValueError) as exc:
        raise WitnessError(f"witness does not decode: {exc}") from exc


def check_witness(state: State, root: bytes, witness: Witness) -> Commitment:
    """The tree of `state` (decoded from `witness`), when the witness is canonical and opens
    `root`; WitnessError otherwise."""
    commitment = Commitment()
    commitment.refresh(state)
    # the shared leaf must be the given bytes, not merely decode to an equal state
    if canonical(shared_leaf(state)) != witness.shared or \
            h256(DOMAIN_STATE + commitment.tree.root + h256(witness.shared)) != root:
        raise WitnessError("witness does not open the pre-state root")
    for leaf, address in zip(witness.leaves, sorted(state.accounts)):
        if encode_account(state.accounts[address]) != leaf:
            raise WitnessError("witness leaves are not canonical")
    if len(witness.leaves) != len(state.accounts):
        raise WitnessError("witness leaves are not canonical")
    return commitment


MAX_ERROR_CHARS = 300  # of an exception's message kept in a verdict (and on L1)


@dataclass(frozen=True)
class JudgeError:
    """The judge's own failure: an exception during the re-execution of a well-formed body,
    which is an engine bug, not something the poster did (its type name and message)."""

    kind: str
    message: str

    @classmethod
    def of(cls, exc: BaseException) -> JudgeError:
        return cls(type(exc).__name__, str(exc)[:MAX_ERROR_CHARS])


@dataclass(frozen=True)
class Verdict:
    """The judge's answer: `fraud` when the claimed result is wrong, with the reason. With
    `failure` set the judge could not decide: no fraud is proven and none is disproven."""

    fraud: bool
    reason: str
    failure: JudgeError | None = None


def rejudge(config: EngineConfig, header: BatchHeader, body: bytes,
            withdrawals: tuple[WithdrawalEntry, ...], witness: Witness,
            authenticate: bool = True) -> Verdict:
    """Re-execute one batch from its witness (every transaction authenticated from its signed
    request). WitnessError when the witness is bad (the challenge fails); otherwise the verdict
    of `judge_batch`. The authentication starts in the process pool as soon as the witness
    decodes (it needs the markets), while the witness is checked and the body decoded."""
    state = decode_witness(config, witness)
    auth = early_authenticator(state, body) if authenticate else None
    try:
        commitment = check_witness(state, header.prev_root, witness)
        return judge_batch(state, commitment, header, body, withdrawals, authenticate, auth)
    finally:
        if auth is not None:
            auth.close()


def early_authenticator(state: State, body: bytes) -> BatchAuthenticator:
    """Authentication of the batch `body` against the pre-state `state`, started in the pool
    from the body's bytes before the body is decoded (rollup/authpool.py)."""
    auth = BatchAuthenticator(state)
    auth.start_body(body)
    return auth


def judge_batch(state: State, commitment: Commitment, header: BatchHeader, body: bytes,
                withdrawals: tuple[WithdrawalEntry, ...], authenticate: bool = True,
                auth: BatchAuthenticator | None = None) -> Verdict:
    """Execute the batch on its pre-state (in place) and compare. Fraud is only what the poster
    did: a body that is not well-formed (rollup/txcheck.py), an invalid block, a wrong post
    root, trace root or withdrawal list. Any other exception comes from the engine running
    well-typed transactions: a judge failure, which decides nothing about the batch. `auth`:
    the authentication of this body already started on `state` (`early_authenticator`)."""
    owned = authenticate and auth is None  # a given authenticator is its giver's to close
    if owned:
        auth = early_authenticator(state, body)
    try:
        return _judge(state, commitment, header, body, withdrawals, authenticate, auth)
    finally:
        if owned and auth is not None:
            auth.close()


def _judge(state: State, commitment: Commitment, header: BatchHeader, body: bytes,
           withdrawals: tuple[WithdrawalEntry, ...], authenticate: bool,
           auth: BatchAuthenticator | None) -> Verdict:
    try:
        blocks = decode_body(body)
    except BatchFormatError as exc:
        return Verdict(True, f"malformed body: {exc}")
    try:
        result = execute_batch(state, commitment, blocks, authenticate, auth)
    except InvalidBlock as exc:
        return Verdict(True, f"invalid block: {exc}")
    except Exception as exc:  # noqa: BLE001 - an engine error: the judge's failure, not fraud
        failure = JudgeError.of(exc)
        return Verdict(False, f"judge failure during re-execution: {failure.kind}: "
                              f"{failure.message}", failure)
    problem = claimed_difference(header, withdrawals, result)
    if problem is not None:
        return Verdict(True, problem)
    return Verdict(False, "batch re-executes to its claimed results")


def claimed_difference(header: BatchHeader, withdrawals: tuple[WithdrawalEntry, ...],
                       result: BatchResult) -> str | None:
    """Which committed result differs from the re-execution's, or None."""
    if result.post_root != header.post_root:
        return "post_root differs from re-execution"
    if result.trace_root != header.trace_root:
        return "trace_root differs from re-execution"
    if tuple(result.withdrawals) != tuple(withdrawals) or \
            list_root([w.encode() for w in result.withdrawals]) != header.withdrawals_root:
        return "withdrawal list differs from re-execution"
    return None
