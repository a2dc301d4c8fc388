"""What a run report says in words: each figure's label, unit and one-line definition, and three
to five findings written from the run's numbers (`report.html`, `lab/report.py`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .metrics import Series


def usd(value: float) -> str:
    """Dollars with thousands separators; cents only below $100, significant digits below $1."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value >= 100 or value == 0:
        return f"{sign}${value:,.0f}"
    if value >= 1:
        return f"{sign}${value:,.2f}"
    return f"{sign}${value:.4g}"


def pct(share: float, signed: bool = False) -> str:
    """A share as a percentage: one decimal below 10%, none above."""
    digits = 1 if abs(share) < 0.1 else 0
    return f"{share * 100:{'+' if signed else ''},.{digits}f}%"


def count(value: float) -> str:
    return f"{value:,.0f}"


def seconds(value: float) -> str:
    return f"{value:,.1f} s"


def lead(value: float | None) -> str:
    return "no liquidation" if value is None else seconds(value)


def bps(value: float) -> str:
    return f"{value:,.0f} bps"


def bp2(value: float) -> str:
    """A fee rate in basis points, two decimals (0.60 bp = 0.006%)."""
    return f"{value:,.2f} bp"


def duration(seconds_: float | None) -> str:
    """A span in the unit that reads best (s, min, h, d); None: not within reach."""
    if seconds_ is None:
        return "never"
    if seconds_ < 120:
        return f"{seconds_:,.0f} s"
    if seconds_ < 7_200:
        return f"{seconds_ / 60:,.1f} min"
    if seconds_ < 172_800:
        return f"{seconds_ / 3_600:,.1f} h"
    return f"{seconds_ / 86_400:,.1f} d"


def times(value: float) -> str:
    return f"{value:,.2f}x"


@dataclass(frozen=True)
class Definition:
    key: str
    label: str
    fmt: object  # value -> text
    meaning: str


DEFINITIONS = (
    Definition("bad_debt_usd", "Bad debt", usd,
               "Losses no one covered: user accounts still under water at the end, plus any "
               "insurance fund below zero."),
    Definition("insurance_fund_start_usd", "Insurance fund at the start", usd,
               "The first insurance fund's equity (cash plus taken-over positions at the mark) "
               "in the first minute."),
    Definition("insurance_fund_min_usd", "Insurance fund at its lowest", usd,
               "The fund's lowest equity at any minute: its deepest unrealized loss."),
    Definition("insurance_fund_end_usd", "Insurance fund at the end", usd,
               "The fund's equity when the run ended."),
    Definition("liquidations_count", "Liquidations", count,
               "Accounts' margin units sent through the waterfall (book, then backstop, then "
               "ADL); one unit can be sent more than once."),
    Definition("liquidated_notional_usd", "Liquidated on the book", usd,
               "Notional of the liquidation orders that filled on the order book. It is 0 when "
               "every liquidated position went to the backstop instead: the book was empty, its "
               "best price lay beyond the fillable-price bound, or the account was already "
               "below 2/3 of maintenance."),
    Definition("backstop_notional_usd", "Taken over by the backstop", usd,
               "Notional the insurance fund's backstop account took over from bankrupt "
               "accounts, at their bankruptcy prices (its later unwind on the book is not "
               "counted again)."),
    Definition("adl_count", "ADL events", count,
               "Profitable opposite positions closed by auto-deleveraging, for the shortfall "
               "the fund could not cover."),
    Definition("adl_notional_usd", "ADL notional", usd,
               "Notional of the positions closed by ADL, at the bankruptcy price."),
    Definition("adl_excess_usd", "ADL beyond the shortfall", usd,
               "What ADL took from winners above the shortfall it had to cover (0 is ideal)."),
    Definition("liq_delay_p50_s", "Liquidation delay, median", seconds,
               "Seconds from the first block in which a unit was liquidatable to the block "
               "that liquidated it: time held back by the per-block cap, a stale oracle or the "
               "post-outage grace."),
    Definition("liq_delay_p99_s", "Liquidation delay, 99th percentile", seconds,
               "The same delay for the slowest 1% of liquidations."),
    Definition("alert_lead_p50_s", "Alert lead time, median", lead,
               "Per liquidated margin unit: seconds from its first margin alert (the block after "
               "which its maintenance used first reached 50%, the node's first marginHealth "
               "threshold, and stayed there) to its liquidation; 0 when both fell in one block."),
    Definition("alert_lead_p5_s", "Alert lead time, 5th percentile", lead,
               "The same lead time for the 5% of liquidated units warned latest."),
    Definition("settlement_model", "Settlement model", str,
               "How batches become final on L1 in this run: a model of settlement timing, no "
               "proof is made (optimistic: a challenge window; validity: a proof landing after "
               "a drawn proving latency)."),
    Definition("withdrawals_count", "Withdrawals", count,
               "Withdrawals the engine emitted for the run's bridge users (forced ones "
               "included)."),
    Definition("withdrawal_finality_p50_s", "Withdrawal finality, median", duration,
               "From a withdrawal's L2 block to its batch's finality on L1, projected past "
               "the run's end from the batch's deadline or scheduled proof; never: exit mode."),
    Definition("withdrawal_finality_p99_s", "Withdrawal finality, 99th percentile", duration,
               "The same for the slowest 1% of withdrawals."),
    Definition("l1_fee_max_hourly_change_bp", "L1 data fee, largest hourly change", bp2,
               "The largest step of the published L1 data fee (the per-notional part of the "
               "taker fee, set each hour from a smoothed L1 gas price) between two hours; the "
               "engine bounds it."),
    Definition("l1_raw_max_hourly_change_bp", "Raw L1 pass-through, largest hourly change", bp2,
               "The largest change within any 60 minutes of what the same cost model would "
               "charge at each minute's L1 base fee, unsmoothed."),
    Definition("l1_fee_pool_worst_usd", "Fee pool's worst L1 balance", usd,
               "The lowest running total of L1 data fees charged less the batch costs L1 "
               "recorded: what the fee pool had to absorb at worst."),
    Definition("liq_peak_minute_ratio", "Peak-minute intensity", times,
               "Liquidations in the busiest minute over the mean per minute of the run."),
    Definition("max_basis_bps", "Largest basis", bps,
               "The largest |perp book mid - oracle| / oracle of any market at any block."),
    Definition("min_basis_bps", "Deepest discount", bps,
               "The most negative (perp book mid - oracle) / oracle: how far forced selling "
               "pushed the perp below the index."),
    Definition("mean_leverage", "Mean leverage", times,
               "The position takers' notional over their equity, averaged over the minutes."),
    Definition("capital_efficiency", "Capital efficiency", times,
               "The position takers' notional per dollar of collateral they posted, averaged "
               "over the minutes."),
    Definition("invariant_violations", "Invariant violations", count,
               "Checks that failed at the end: money conserved to the micro-USDC, zero net open "
               "interest per market (must be 0)."),
    Definition("transactions_count", "Transactions", count,
               "Transactions the sequencer put in blocks."),
    Definition("fills_count", "Fills", count, "Trades matched on the books."),
    Definition("mempool_refused", "Refused by a full mempool", count,
               "Transactions the congested sequencer turned away."),
    Definition("active_agents", "Active agents", count, "Agents that sent anything."),
    Definition("seed", "Seed", str, "The master seed: the same seed gives the same run."),
    Definition("final_state_root", "Final state root", str,
               "The venue's state commitment at the end: the same seed gives the same root."),
)


def gaps(t_s: list[int], values: list[float]) -> list[tuple[int, int]]:
    """(first, last) minute of each run of missing samples (NaN) after the first sample."""
    out: list[tuple[int, int]] = []
    start = None
    for t, v in zip(t_s, values):
        missing = isinstance(v, float) and math.isnan(v)
        if missing and start is None:
            start = t
        elif not missing and start is not None:
            out.append((start // 60, t // 60 - 1))
            start = None
    if start is not None and t_s:
        out.append((start // 60, t_s[-1] // 60))
    return out


def _extremes(series: Series, name: str) -> tuple[float, float, float, int, int]:
    """(first, low, high, minute of low, minute of high) of a market's perp mark."""
    pairs = [(t, v) for t, v in zip(series.t_s, series.mark[name]) if v == v and v > 0]
    if not pairs:
        return 0.0, 0.0, 0.0, 0, 0
    low = min(pairs, key=lambda p: p[1])
    high = max(pairs, key=lambda p: p[1])
    return pairs[0][1], low[1], high[1], low[0] // 60, high[0] // 60


def price_finding(series: Series) -> str | None:
    moves = []
    for name in series.mark:
        first, low, high, at_low, at_high = _extremes(series, name)
        if first <= 0:
            continue
        up, down = high / first - 1, low / first - 1
        if up > -down:
            moves.append((up, name, f"{name} rose {pct(up)}, from {usd(first)} to {usd(high)} "
                                    f"at minute {at_high:,}"))
        else:
            moves.append((-down, name, f"{name} fell {pct(-down)}, from {usd(first)} to "
                                       f"{usd(low)} at minute {at_low:,}"))
    moves.sort(key=lambda m: -m[0])
    if not moves:
        return None
    big = [m for m in moves if m[0] >= 0.05][:3] or moves[:1]
    text = "; ".join(m[2] for m in big)
    quiet = [m for m in moves if m not in big]
    if quiet:
        text += f"; {', '.join(m[1] for m in quiet)} moved at most {pct(quiet[0][0])}"
    return f"The perp {text}."


def liquidation_finding(report: dict, events: list[dict]) -> str:
    n = report["liquidations_count"]
    if n == 0:
        return "No account was liquidated."
    book, backstop = report["liquidated_notional_usd"], report["backstop_notional_usd"]
    takeovers = sum(1 for e in events if e["kind"] == "backstop")
    text = f"{n:,} liquidation{'s' if n != 1 else ''} went through the waterfall"
    if book == 0 and backstop > 0:
        text += (f"; none filled on the book (the book was empty, or its best price lay beyond "
                 f"the fillable-price bound), so the backstop took over {usd(backstop)} of "
                 f"positions at their bankruptcy prices in {takeovers:,} takeovers")
    elif backstop == 0:
        text += f", all of them filled on the book ({usd(book)} of notional)"
    else:
        share = book / (book + backstop)
        text += (f": {usd(book)} ({pct(share)}) filled on the book and the backstop took over "
                 f"{usd(backstop)} in {takeovers:,} takeovers")
    return text + "."


def fund_finding(report: dict) -> str:
    start, low = report["insurance_fund_start_usd"], report["insurance_fund_min_usd"]
    end, backstop = report["insurance_fund_end_usd"], report["backstop_notional_usd"]
    loss = start - low
    adl = report["adl_count"]
    tail = ("no ADL was needed" if adl == 0 else
            f"ADL closed {usd(report['adl_notional_usd'])} in {adl:,} events")
    if adl == 0 and report.get("fund_deficit_usd", 0) > 0:
        tail = ("ADL did not run: it covers a cash shortfall at a takeover, and this is the "
                "fund's unrealized loss on the positions it holds")
    if start > 0 and loss > 0.005 * start:
        text = (f"The insurance fund lost {pct(loss / start)} of its capital at its lowest "
                f"({usd(loss)} of {usd(start)})")
        if backstop > 0:
            text += f" carrying the {usd(backstop)} it took over, {times(loss / backstop)} " \
                    "that notional"
        return text + f", and ended at {usd(end)}; {tail}."
    change = end - start
    if abs(change) < 1 and loss < 1:
        return f"The insurance fund did not move; {tail}."
    verb = "gained" if change >= 0 else "lost"
    return (f"The insurance fund {verb} {usd(abs(change))} over the run (liquidation fees and "
            f"unwinds) and never fell more than {pct(loss / start if start else 0)}; {tail}.")


def debt_finding(report: dict) -> str:
    bad = report["bad_debt_usd"]
    lead = ("No bad debt: every loss was covered" if bad <= 0 else
            f"{usd(bad)} of bad debt was left uncovered")
    p50, p99 = report["liq_delay_p50_s"], report["liq_delay_p99_s"]
    if report["liquidations_count"] == 0:
        return lead + "."
    if p99 == 0:
        delay = "every liquidatable account was liquidated in the block it became liquidatable"
    else:
        delay = (f"liquidations waited {seconds(p50)} at the median and {seconds(p99)} at the "
                 "99th percentile after becoming liquidatable")
    ratio = report.get("liq_peak_minute_ratio", 0)
    busy = f"; the busiest minute had {times(ratio)} the mean rate" if ratio else ""
    return f"{lead}; {delay}{busy}."


def gap_finding(series: Series, oracle_faults: list[tuple[int, int]]) -> str | None:
    """The longest stretch without a two-sided book, and why (an oracle fault when one
    overlaps, otherwise makers that withdrew)."""
    longest = None
    for name, mids in series.mid.items():
        for first, last in gaps(series.t_s, mids):
            if longest is None or last - first > longest[2] - longest[1]:
                longest = (name, first, last)
    if longest is None or longest[2] - longest[1] < 2:
        return None
    name, first, last = longest
    cause = ("the market makers withdrew under the move and left one side of the book empty")
    if any(a <= last and b >= first for a, b in oracle_faults):
        cause = "an oracle fault overlapped it and the makers, without a fresh price, withdrew"
    return (f"{name}'s book had no two-sided quote from minute {first:,} to {last:,}: {cause}, "
            "so its basis (book mid - oracle) is undefined there, the gap in the basis chart.")


def settlement_finding(report: dict) -> str | None:
    """A settlement run: the model, and how long withdrawals waited to be final on L1."""
    model = report.get("settlement_model")
    if model is None:
        return None
    s = report["rollup"]["settlement"]
    text = (f"Under the {model} settlement model (a model of timing: no proof is made), the "
            f"{s['withdrawals']:,} withdrawals took {duration(s['finality_p50_s'])} at the "
            f"median and {duration(s['finality_p99_s'])} at the 99th percentile from their L2 "
            "block to finality on L1")
    if s["final_after_run"]:
        text += f" ({s['final_after_run']:,} projected past the run's end)"
    if s["exit_mode"]:
        text += (f"; a forced request went unserved past the exit deadline and the venue "
                 f"entered exit mode at {duration(s['exit_mode']['at_s'])}")
    return text + "."


def l1_fee_finding(report: dict) -> str | None:
    """A run with an L1 data fee: the published rate against raw pass-through."""
    fee = report.get("rollup", {}).get("l1_fee")
    if not fee:
        return None
    held = "within" if fee["published_within_bound"] else "OUTSIDE"
    return (f"L1 gas went from {fee['base_fee_gwei_min']:,} to {fee['base_fee_gwei_max']:,} "
            f"gwei: passed through raw, the L1 data fee would have moved by up to "
            f"{bp2(fee['raw_max_hourly_change_bp'])} within an hour (variance "
            f"{fee['raw_bp']['variance']:.3g} bp²); the published hourly rate moved by at most "
            f"{bp2(fee['published_max_hourly_change_bp'])}, {held} its bound "
            f"(variance {fee['published_bp']['variance']:.3g} bp²), and the fee pool absorbed "
            f"the difference, its L1 balance at worst {usd(fee['pool_worst_balance_usd'])}.")


def findings(report: dict, series: Series, events: list[dict],
             oracle_faults: list[tuple[int, int]]) -> list[str]:
    """Three to five sentences, from the run's numbers (one more each for a settlement model
    and an L1 data fee)."""
    out = [f for f in (price_finding(series), liquidation_finding(report, events),
                       fund_finding(report), debt_finding(report),
                       gap_finding(series, oracle_faults)) if f][:5]
    return out + [f for f in (settlement_finding(report), l1_fee_finding(report)) if f]
