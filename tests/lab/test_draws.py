"""The lab's random draws: pinned integers for a seed (the same on every CPU and numpy build),
and the moments and tails each variate should have."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from l2perp.lab.draws import Draws, child_seed
from l2perp.lab.fixedpoint import ONE


def draws() -> Draws:
    return Draws(np.random.SeedSequence(2025))


def test_the_first_draws_of_a_seed_are_pinned() -> None:
    d = draws()
    assert [d.word() for _ in range(3)] == [18_344_508_624_032_602_075, 7_046_835_924_362_715_143,
                                            15_258_187_703_311_554_341]
    assert [d.integers(20, 201) for _ in range(5)] == [140, 182, 184, 106, 166]
    assert [d.exponential_q() for _ in range(3)] == [451_662_963_221_274_305,
                                                     1_443_890_955_913_779_997,
                                                     1_086_952_440_711_316_271]
    assert [d.normal_q() for _ in range(3)] == [-1_765_235_803_978_412_725,
                                                -590_523_632_028_062_132,
                                                -1_390_402_298_956_495_333]
    assert d.student_ts_q(Fraction(4), 3) == [99_148_875_464_499_136, -874_594_699_437_130_111,
                                              -20_033_932_092_060_917]
    assert [d.poisson(ONE * 4 // 5) for _ in range(8)] == [0, 0, 0, 1, 1, 1, 2, 2]


def test_a_keyed_stream_is_the_spawned_child_without_spawning() -> None:
    seed = np.random.SeedSequence(7)
    spawned = np.random.SeedSequence(7).spawn(3)[2]
    assert Draws(seed, 2).word() == Draws(spawned).word()
    assert Draws(seed, 2).word() != Draws(seed, 1).word()


def moments(values: list[int]) -> tuple[float, float, float]:
    x = np.array(values, dtype=float) / ONE
    var = x.var()
    return x.mean(), var, ((x - x.mean()) ** 4).mean() / var ** 2


def test_normal_and_exponential_moments() -> None:
    d = draws()
    mean, var, kurt = moments([d.normal_q() for _ in range(40_000)])
    assert abs(mean) < 0.02 and abs(var - 1) < 0.03 and abs(kurt - 3) < 0.15
    x = np.array([d.exponential_q() for _ in range(40_000)], dtype=float) / ONE
    assert abs(x.mean() - 1) < 0.02 and abs(x.var() - 1) < 0.05 and x.min() > 0


def test_student_t_has_unit_variance_and_fat_tails() -> None:
    d = draws()
    t = np.array(d.student_ts_q(Fraction(5), 60_000), dtype=float) / ONE
    assert abs(t.mean()) < 0.02 and abs(t.var() - 1) < 0.06
    # unit-variance t5 quantiles: 0.999 at 5.893 * sqrt(3/5) = 4.565; a normal's is 3.09
    assert 4.1 < np.quantile(np.abs(t), 0.998) < 5.1
    with pytest.raises(ValueError, match="nu > 2"):
        d.student_ts_q(Fraction(2), 1)


def test_integers_poisson_pick_and_chance() -> None:
    d = draws()
    rolls = [d.integers(3, 9) for _ in range(30_000)]
    assert min(rolls) == 3 and max(rolls) == 8
    assert all(abs(rolls.count(k) / 30_000 - 1 / 6) < 0.01 for k in range(3, 9))
    counts = [d.poisson(ONE * 4 // 5) for _ in range(30_000)]
    assert abs(np.mean(counts) - 0.8) < 0.02 and abs(np.var(counts) - 0.8) < 0.03
    picks = [d.pick([6, 3, 2, 0]) for _ in range(22_000)]
    assert picks.count(3) == 0 and abs(picks.count(0) / 22_000 - 6 / 11) < 0.01
    assert sum(d.chance(0.25) for _ in range(20_000)) in range(4_800, 5_200)
    assert not any(d.chance(0.0) for _ in range(100)) and all(d.chance(1.0) for _ in range(100))
    assert 0 <= d.random() < 1
    assert abs(np.mean([d.lognormal(0.0, 0.6) for _ in range(20_000)]) - np.exp(0.18)) < 0.02
    assert child_seed(np.random.SeedSequence(1), 4).spawn_key == (4,)
