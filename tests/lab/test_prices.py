"""Price paths: a seed's path is pinned to its bytes (integer prices, so any CPU, OS or numpy
build must reproduce them), crashes hit their target drawdown exactly in log terms, and the
background keeps its character: calibrated volatility, fat tails, volatility clustering."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np

from l2perp.lab.draws import Draws
from l2perp.lab.fixedpoint import ONE, ln_fraction
from l2perp.lab.prices import Crash, PriceModel, crash_returns, garch_factor, make_path
from l2perp.lab.scenario import load_scenario


def path_of(name: str, seed: int):
    """The CI version's path, seeded as the runner seeds it (child 0 of the run's seed)."""
    scenario = load_scenario(name).for_ci()
    assets = [(m.name, m.price, m.beta, m.idio_vol) for m in scenario.markets]
    return make_path(np.random.SeedSequence(seed).spawn(1)[0], scenario.prices,
                     scenario.duration_s, assets)


def test_a_seeds_path_is_pinned_to_its_bytes() -> None:
    path = path_of("oct10_like", 7)
    assert path.digest() == "bbb4446cb9e7ea23a9168eebfe223d3dee99fc82856c75550b39ae74fa9b4748"
    btc, eth, alt = (path.prices_e9[n] for n in ("BTC", "ETH", "ALT"))
    assert (btc[0], btc[900], btc[1800]) == (116_500_000_000_000, 103_162_663_413_306,
                                             109_031_130_835_284)
    assert (eth[0], eth[900], eth[1800]) == (4_300_000_000_000, 3_580_469_682_718,
                                             3_896_602_547_745)
    assert (alt[0], alt[900], alt[1800]) == (2_500_000_000, 1_025_083_450, 1_434_493_046)
    assert path.at("ALT", 900_999) == 1.02508345  # agents read price_e9 / 10**9


def test_another_run_of_the_same_seed_gives_the_same_path_and_another_seed_does_not() -> None:
    assert path_of("oracle_stall", 3).prices_e9 == path_of("oracle_stall", 3).prices_e9
    assert path_of("oracle_stall", 3).digest() != path_of("oracle_stall", 4).digest()


def test_a_crash_adds_up_to_its_target_drawdown_exactly() -> None:
    model = PriceModel()
    for crash in (Crash(100, 0.13, 2_100), Crash(50, 0.45, 600, recovery=0.4, recovery_s=300),
                  Crash(10, 4.0, 900, sign=1)):
        returns, seconds = crash_returns(Draws(np.random.SeedSequence(1)), crash, model, 4_000)
        size = Fraction(crash.drawdown)
        target = ln_fraction(1 - size if crash.sign < 0 else 1 + size)
        in_window = sum(returns[crash.at_s:crash.at_s + crash.duration_s])
        assert in_window == target  # to the last Q60 unit
        assert len(seconds) >= 3 and all(returns[s] != 0 for s in seconds)
        recovered = sum(returns[crash.at_s + crash.duration_s:])
        assert recovered == (-target * Fraction(crash.recovery)).__floor__()


def test_shipped_crashes_reach_their_drawdowns_through_the_betas() -> None:
    """oct10_like: the factor falls 13%; ETH (beta 1.5) 1 - 0.87**1.5; ALT (beta 3) also has
    its own -45%: 1 - 0.55 * 0.87**3. The background noise moves each by a few points."""
    path = path_of("oct10_like", 1)
    for name, target in (("BTC", 0.13), ("ETH", 0.1885), ("ALT", 0.6378)):
        series = path.prices[name]
        assert abs(1 - min(series) / series[0] - target) < 0.03
    ftx = path_of("ftx_like", 2).prices["BTC"]
    assert abs(1 - min(ftx) / ftx[0] - 0.25) < 0.05
    jelly = path_of("jelly_like", 2).prices["JELLY"]
    assert 4.0 < max(jelly) / jelly[0] < 6.0  # the +400% squeeze


def test_the_background_is_calibrated_fat_tailed_and_clustered() -> None:
    model = replace(PriceModel(), p_calm_to_stressed=0.0)  # the calm regime only
    seed = np.random.SeedSequence(11)
    returns, stressed = garch_factor(Draws(seed, 0), Draws(seed, 1), model, 200_000)
    assert not any(stressed)
    r = np.array(returns, dtype=float) / ONE
    annual = r.std() * np.sqrt(365 * 86_400)
    assert abs(annual - model.annual_vol) < 0.05 * model.annual_vol
    kurtosis = ((r - r.mean()) ** 4).mean() / r.var() ** 2
    assert kurtosis > 5  # a normal has 3
    a = np.abs(r) - np.abs(r).mean()
    clustering = (a[1:] * a[:-1]).mean() / a.var()  # lag-1 autocorrelation of |r|
    assert clustering > 0.05
    stressed_share = np.mean(garch_factor(Draws(seed, 0), Draws(seed, 1), PriceModel(),
                                          200_000)[1])
    assert 0.02 < stressed_share < 0.2  # 1/20,000 in, 1/1,800 out: about 8% of the time
