"""Exit without the operator: the node dies and its data directory is deleted; with nothing
but the L1 file, a user forces a withdrawal, freezes the exchange once the grace has passed,
and escapes from the last finalized root with a Merkle path rebuilt from L1 data, getting
exactly the formula's amount, once; a deposit nobody consumed comes back to its sender."""

from __future__ import annotations

import shutil

from eth_account import Account
from hyperliquid.exchange import Exchange

from l2perp.node.l1host import L1Host
from l2perp.rollup.contract import escape_value
from l2perp.rollup.params import TEST
from l2perp.rollup.verifier import replay_standing
from tests.support.rollup_proc import KEYS, TRADERS, RollupNode, cli


def test_users_leave_with_only_the_l1_file(tmp_path) -> None:
    data, l1_file = tmp_path / "node", tmp_path / "l1.sqlite"
    node = RollupNode(data, l1_file).start()
    try:
        short, long = TRADERS[4], TRADERS[5]
        Exchange(Account.from_key(short.private_key), node.url, timeout=10).order(
            "BTC", False, 0.5, 60_000, {"limit": {"tif": "Gtc"}})
        filled = Exchange(Account.from_key(long.private_key), node.url, timeout=10).order(
            "BTC", True, 0.5, 60_000, {"limit": {"tif": "Ioc"}})
        assert "filled" in filled["response"]["data"]["statuses"][0]
        height = node.status()["l2Height"]
        node.wait(lambda: node.status()["postedHeight"] >= height, what="posting")
        node.advance(60_000)
        node.wait(lambda: node.status()["finalizedHeight"] >= height, what="finality")
    finally:
        node.kill()
    shutil.rmtree(data)  # the operator and everything it kept are gone
    l1 = ["--l1", str(l1_file)]
    assert cli("l1", "faucet", "--amount", "5", "--to", KEYS["admin"].address,
               "--key", KEYS["admin"].private_key, *l1).returncode == 0
    assert cli("l1", "deposit", "--amount", "5", "--key", KEYS["admin"].private_key,
               *l1).returncode == 0  # queued after the operator died: never consumed
    out = cli("l1", "force-withdraw", "--amount", "10", "--key", long.private_key, *l1)
    assert out.returncode == 0, out.stdout + out.stderr
    early = cli("l1", "freeze", "--key", long.private_key, *l1)
    assert early.returncode == 1 and "cannot be frozen" in early.stdout
    assert cli("l1", "mine", "--ms", str(TEST.freeze_grace_ms), *l1).returncode == 0
    out = cli("l1", "freeze", "--key", long.private_key, *l1)
    assert out.returncode == 0 and "frozen" in out.stdout, out.stdout + out.stderr
    out = cli("l1", "escape", "--key", long.private_key, *l1)
    assert out.returncode == 1 and "not open" in out.stdout  # batches still in their window
    assert cli("l1", "mine", "--ms", str(TEST.challenge_window_ms), *l1).returncode == 0

    chain = L1Host(l1_file, readonly=True).l1
    final = replay_standing(chain, chain.finalized_no)  # what L1 data alone says
    prices = {m.asset: m.oracle_pips for m in final.markets}
    owed = {a: escape_value(final.accounts[a], prices) for a in (short.address, long.address)}
    assert final.accounts[long.address].positions[0].size_lots == 50_000
    for trader in (long, short):
        out = cli("l1", "escape", "--key", trader.private_key, *l1)
        assert out.returncode == 0, out.stdout + out.stderr
        again = cli("l1", "escape", "--key", trader.private_key, *l1)
        assert again.returncode == 1 and "already escaped" in again.stdout
    chain = L1Host(l1_file, readonly=True).l1
    book = chain.escape_book
    assert book.users_total_musdc <= book.pool_musdc  # solvent: no haircut
    for trader in (long, short):
        assert chain.wallets[trader.address] == owed[trader.address] > 0
    out = cli("l1", "reclaim", "--key", KEYS["admin"].private_key, *l1)
    assert "reclaimed 5.0" in out.stdout or "reclaimed 5 " in out.stdout, out.stdout
    assert "reclaimed 0 " in cli("l1", "reclaim", "--key", KEYS["admin"].private_key,
                                 *l1).stdout + " "
