"""Build the adult population from census shares, vectorised (no loop over citizens).

Households are drawn first (size, area, locality), sorted by locality so that neighbours in
the arrays are neighbours on the ground, then their adults get ages, internet access and
traits. National scale (2.26 M) takes a fraction of a second.

Each part draws from a build stream of its own (``population.*`` in
:data:`sim.model.streams.MECHANISMS`), so a parameter redraws only what it is about: a trait
parameter (even one that changes how many numbers a trait's Beta draws take) never moves
ages, places or households, one trait's mean never moves another trait, and the share of
aware adults never moves trust.
"""

from __future__ import annotations

import numpy as np

from sim.model.behaviour import credential_knob, trip_factor
from sim.model.population import NEVER, Population
from sim.model.streams import Streams
from sim.params import AGE_BANDS, AGE_GROUP_EDGES, Params


def _shares(values: list[float]) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    return arr / arr.sum()


def age_group_shares(params: Params) -> np.ndarray:
    """Expected shares of the three age groups implied by the age-band shares."""
    bands = _shares(params.population.share_age_band)
    lows = np.array([lo for lo, _ in AGE_BANDS])
    groups = np.searchsorted(AGE_GROUP_EDGES, lows, side="right")
    return np.bincount(groups, weights=bands, minlength=3)


def build_population(params: Params, n: int, streams: Streams) -> Population:
    """Draw ``n`` adults with households, places, ages, internet access and traits, from the
    build's ``population.*`` streams of ``streams``."""
    pp = params.population
    pop = Population(n)

    def draw(name: str) -> np.random.Generator:
        return streams.get(f"population.{name}", -1)

    # Households: sizes until n adults are covered, the last one trimmed to fit.
    size_p = _shares(pp.share_household_adults)
    mean_size = float(np.dot(np.arange(1, len(size_p) + 1), size_p))
    n_hh = int(n / mean_size * 1.1) + 16
    sizes = draw("households").choice(np.arange(1, len(size_p) + 1), size=n_hh, p=size_p)
    ends = np.cumsum(sizes)
    k = int(np.searchsorted(ends, n)) + 1
    sizes = sizes[:k]
    sizes[-1] -= ends[k - 1] - n

    # Where each household lives: area, then a locality code within the area.
    places = draw("places")
    area_p = _shares(pp.share_area.array())
    hh_area = places.choice(len(area_p), size=k, p=area_p)
    counts = np.array(pp.n_localities.array(), dtype=np.int64)
    offsets = np.cumsum(np.r_[0, counts[:-1]])
    hh_locality = offsets[hh_area] + (places.random(k) * counts[hh_area]).astype(np.int64)
    order = np.argsort(hh_locality, kind="stable")
    sizes, hh_area, hh_locality = sizes[order], hh_area[order], hh_locality[order]

    pop.household[:] = np.repeat(np.arange(k, dtype=np.int32), sizes)
    pop.area[:] = np.repeat(hh_area, sizes)
    pop.locality[:] = np.repeat(hh_locality, sizes)

    # Ages: a band, then a year within it.
    ages = draw("ages")
    band = ages.choice(len(AGE_BANDS), size=n, p=_shares(pp.share_age_band))
    lows = np.array([lo for lo, _ in AGE_BANDS])
    widths = np.array([hi - lo + 1 for lo, hi in AGE_BANDS])
    pop.age[:] = lows[band] + (ages.random(n) * widths[band]).astype(np.int64)
    pop.age_group[:] = np.searchsorted(AGE_GROUP_EDGES, pop.age, side="right")

    # Internet: the area's share, tilted by age and normalised so the area share holds.
    p_internet = internet_probability(params, pop.area, pop.age_group)
    pop.internet[:] = draw("internet").random(n) < p_internet

    # Traits: beta distributions around group means, each from its own stream (a beta draw
    # takes a varying count of numbers, which depends on the parameters).
    tr = params.traits
    conc = tr.concentration
    skill_mean = np.asarray(tr.mean_skill.array())[pop.age_group]
    pop.skill[:] = draw("skill").beta(skill_mean * conc, (1 - skill_mean) * conc)
    pop.trust[:] = draw("trust").beta(tr.mean_trust * conc, (1 - tr.mean_trust) * conc, size=n)
    habit_mean = np.asarray(tr.mean_paper_habit.array())[pop.age_group]
    pop.paper_habit[:] = draw("paper_habit").beta(habit_mean * conc, (1 - habit_mean) * conc)

    # E-signatures go to the more skilled (esignatures-2021: tax, social-insurance and
    # procurement filers) and, as a certificate is issued at a registration point, to those
    # with a shorter trip to one; the group knobs of params.credentials (1 by default) may
    # tilt them.
    weight = pop.skill * trip_factor(params, pop.area) * credential_knob(pop, params)
    p_esig = tr.share_esignature * weight / max(float(weight.mean()), 1e-9)
    pop.esignature[:] = draw("esignature").random(n) < p_esig
    pop.aware[:] = draw("aware").random(n) < tr.share_aware

    # Recent users: among aware internet users, a last use 1-12 months before the start.
    can = pop.internet & pop.aware
    p_recent = min(1.0, tr.share_recent_users / max(float(can.mean()), 1e-9))
    recent_draws = draw("recent")
    recent = can & (recent_draws.random(n) < p_recent)
    months_ago = recent_draws.integers(1, 13, size=n, dtype=np.int16)
    pop.last_online[:] = np.where(recent, -months_ago, NEVER)
    pop.last_tried[:] = pop.last_online
    pop.n_success[:] = recent

    lp = params.learning
    if lp.awareness_rule == "threshold":
        drawn = draw("threshold").normal(lp.threshold_mean, lp.threshold_sd, size=n)
        pop.threshold[:] = np.clip(drawn, 0.0, 1.0)
        pop.aware |= pop.threshold <= 0.0  # Granovetter's instigators
    return pop


def internet_probability(params: Params, area: np.ndarray, age_group: np.ndarray) -> np.ndarray:
    """Start-month chance of internet access for each citizen (area share x age factor)."""
    net = params.internet
    factor = np.asarray(net.age_factor.array())
    norm = float(np.dot(age_group_shares(params), factor))
    p = np.asarray(net.share_initial.array())[area] * factor[age_group] / norm
    return np.clip(p, 0.0, 1.0)
