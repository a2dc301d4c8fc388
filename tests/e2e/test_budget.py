"""The page keeps within Hyperliquid's /info budget: 1,200 weight a minute per IP, at the weights
the node's own rate limiter charges (`info_weight`). Each view is left open (all at once, each
in its own page, a key picked where it matters), and once loaded, the weight of every /info
request it sends in 30 s stays within half a minute's budget. One trade page follows the busiest
account there is, the demo maker whose quotes are replaced every second and taken every few
seconds (its order updates and fills stream in over the websocket). The book, trades and
candles come over the websocket and cost nothing here."""

from __future__ import annotations

import time

from l2perp.api.info_types import info_weight
from l2perp.api.ratelimit import RateLimits
from tests.e2e.page import pick_key
from l2perp.node.devnet import dev_keys
from tests.support.rollup_proc import TRADERS

SECONDS = 30
MAKER = next(k for k in dev_keys() if k.role == "maker")  # the demo's quoting maker


def test_each_view_stays_within_the_info_budget(open_page) -> None:
    spent: dict[str, list[str]] = {}
    pages = {}
    counting = [False]
    for name, view in (("trade", "trade"), ("trade, busy maker", "trade"), ("rollup", "rollup"),
                       ("governance", "governance")):
        page = open_page("desktop", f"/#{view}")
        kinds = spent.setdefault(name, [])
        page.on("request", lambda request, kinds=kinds: kinds.append(
            request.post_data_json["type"]) if counting[0] and request.method == "POST"
            and request.url.endswith("/info") else None)
        pages[name] = page
    pick_key(pages["trade"], TRADERS[5])
    pick_key(pages["trade, busy maker"], MAKER)
    pick_key(pages["governance"], TRADERS[5])
    pages["trade"].wait_for_timeout(3_000)  # first loads done
    counting[0] = True
    start = time.time()
    while time.time() - start < SECONDS:
        for page in pages.values():
            page.wait_for_timeout(250)  # let each page's timers run
    budget = RateLimits().ip_weight_per_minute * SECONDS // 60
    for view, kinds in spent.items():
        weight = sum(info_weight(kind) for kind in kinds)
        counts = {kind: kinds.count(kind) for kind in sorted(set(kinds))}
        assert 0 < weight <= budget, (view, weight, counts)
