"""Every model parameter, declared once: default, unit, allowed range and source.

The groups below are pydantic models, so a scenario file's ``[params.<group>]`` table is
validated against them and the same declarations generate ``docs/parameters.md``
(:mod:`sim.params_docs`, ``egov-sim params --markdown``) and the JSON Schema. Name prefixes
carry meaning: ``p_`` probability (per event), ``rate_`` per month, ``n_`` count, ``share_``
share of a population, ``coef_`` a utility coefficient. The fields are made with
:func:`sim.params_fields.param`.

Sources cite a row of ``docs/sources.md`` ("sources.md <id>"), a paper (also listed
there), or say "assumption"; assumptions carry the range used in sensitivity analysis (``sa``).
Every parameter also has a ``scope``: ``shared`` (behaviour of the mechanisms, the same in every
country) or ``country`` (an input describing one country); :func:`iter_parameters` walks the
declarations by path, and :func:`shared_parameters` and :func:`country_parameters` give the
split a calibration across countries pools and holds.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator
from pydantic.fields import FieldInfo

from sim.params_fields import (
    AREA_NAME,
    AREA_TABLE_TYPES,
    AreaCounts,
    AreaValues,
    ParameterGroup,
    Scope,
    field_extra,
    param,
)

AGE_GROUPS = ("young", "middle", "old")
"""Age groups 15-34, 35-54 and 55+, in the order of the ``age_group`` column (0..2)."""
AGE_GROUP_EDGES = (35, 55)
AGE_BANDS = (
    (15, 19),
    (20, 24),
    (25, 29),
    (30, 34),
    (35, 39),
    (40, 44),
    (45, 49),
    (50, 54),
    (55, 59),
    (60, 64),
    (65, 84),
)
"""Five-year adult age bands (the last one open-ended, drawn up to 84)."""


class AgeValues(ParameterGroup):
    """One value per age group."""

    young: float = Field(description="aged 15-34")
    middle: float = Field(description="aged 35-54")
    old: float = Field(description="aged 55 and over")

    def array(self) -> list[float]:
        return [getattr(self, a) for a in AGE_GROUPS]


def _ages(y: float, m: float, o: float) -> AgeValues:
    return AgeValues(young=y, middle=m, old=o)


class Population(ParameterGroup):
    """Demography of adults (15+) from the 2020 census."""

    n_adults_national: int = param(
        2_260_000,
        unit="persons",
        scope="country",
        ge=100,
        le=5_000_000,
        doc='adults 15+ at 1:1 scale (`citizens = "national"`; at most 5,000,000, the largest '
        "population a run takes)",
        source="sources.md adults-2020: adults 15+ derived as 68.5% x 3,296,866",
    )
    share_area: AreaValues = param(
        AreaValues({}),
        ge=0,
        le=1,
        unit="share of adults",
        scope="country",
        doc="where adults live; normalised to sum to 1",
        source="country file ([country.sources] of scenarios/<country>/country.toml)",
        sa=(0.10, 0.20),
        weights=True,
    )
    share_age_band: list[float] = param(
        [0.10, 0.10, 0.12, 0.13, 0.12, 0.10, 0.09, 0.08, 0.06, 0.04, 0.06],
        ge=0,
        le=1,
        unit="share of adults",
        scope="country",
        doc="adults by band 15-19, 20-24, ..., 60-64, 65+; sums to 1",
        source="sources.md census-2020-age (65+ = 4.1/68.5 = 6% of adults); the split of 15-64 "
        "into bands is an assumption following the census pyramid",
        sa=(0.8, 1.2),
        weights=True,
    )
    share_household_adults: list[float] = param(
        [0.20, 0.40, 0.22, 0.12, 0.06],
        ge=0,
        le=1,
        unit="share of households",
        scope="country",
        doc="households with 1, 2, 3, 4, 5 adults; mean 2.44 adults",
        source="sources.md census-2020-population: 897,427 households for ~2.26 M adults (2.5 "
        "adults each); the spread is "
        "an assumption",
        sa=(0.8, 1.2),
        weights=True,
    )
    n_localities: AreaCounts = param(
        AreaCounts({}),
        unit="localities",
        scope="country",
        ge=1,
        le=10_000,
        doc="localities (neighbourhoods, towns, villages, districts) of each area: local ties "
        "stay within one",
        source="country file ([country.sources] of scenarios/<country>/country.toml)",
    )

    @model_validator(mode="after")
    def _shares(self) -> Population:
        for name in ("share_age_band", "share_household_adults"):
            values = getattr(self, name)
            expected = {"share_age_band": 11, "share_household_adults": 5}[name]
            if len(values) != expected or min(values) < 0 or sum(values) <= 0:
                raise ValueError(f"{name} needs {expected} non-negative shares with a positive sum")
        return self


class Internet(ParameterGroup):
    """Internet access: initial shares, ceilings and growth."""

    share_initial: AreaValues = param(
        AreaValues({}),
        ge=0,
        le=1,
        unit="share of adults",
        scope="country",
        doc="adults with internet access in the start month, by area (age profile applied within)",
        source="country file ([country.sources] of scenarios/<country>/country.toml)",
        sa=(0.35, 0.90),
    )
    share_ceiling: AreaValues = param(
        AreaValues({}),
        ge=0,
        le=1,
        unit="share of adults",
        scope="country",
        doc="long-run saturation of internet access by area",
        source="country file ([country.sources] of scenarios/<country>/country.toml)",
        sa=(0.7, 0.98),
    )
    rate_growth: float = param(
        0.013,
        unit="per month",
        scope="country",
        ge=0,
        le=1,
        doc="share of the gap to the ceiling closed per month",
        source="assumption (fitted to sources.md internet-itu: growth 2020-2022)",
        sa=(0.005, 0.03),
    )
    age_factor: AgeValues = param(
        _ages(1.15, 1.0, 0.55),
        ge=0,
        le=5,
        unit="relative odds",
        scope="country",
        judgement=True,
        doc="relative chance of access by age group, normalised within each area",
        source="assumption (sources.md eu-age-2020, pattern-4: EU 2020 age gradient)",
        sa=(0.4, 1.3),
        weights=True,
    )


class Traits(ParameterGroup):
    """Initial digital skill, trust, paper habit and awareness."""

    mean_skill: AgeValues = param(
        _ages(0.62, 0.45, 0.25),
        ge=0.01,
        le=0.99,
        unit="score 0-1",
        scope="country",
        doc="mean digital skill by age group",
        source="sources.md eskills-2023: e-skills rate 48.3% as the share with skill > 0.5; age "
        "profile "
        "is an assumption",
        sa=(0.15, 0.75),
    )
    mean_trust: float = param(
        0.45,
        unit="score 0-1",
        scope="country",
        judgement=True,
        ge=0.01,
        le=0.99,
        doc="mean initial trust in digital government (a beta distribution's mean: strictly "
        "between 0 and 1)",
        source="assumption (sources.md bumdari-2022: society does not trust online services)",
        sa=(0.3, 0.6),
    )
    mean_paper_habit: AgeValues = param(
        _ages(0.55, 0.65, 0.80),
        ge=0.01,
        le=0.99,
        unit="score 0-1",
        scope="country",
        judgement=True,
        doc="mean initial habit of expecting and keeping paper certificates, by age",
        source="assumption (sources.md bumdari-2022: still tends to demand paper certification)",
        sa=(0.4, 0.9),
    )
    concentration: float = param(
        5.0,
        unit="beta a+b",
        scope="shared",
        judgement=True,
        ge=0.5,
        doc="concentration of the beta distributions of the traits",
        source="assumption",
        sa=(2.0, 10.0),
        le=1_000,
    )
    share_aware: float = param(
        0.40,
        unit="share of adults",
        scope="country",
        ge=0,
        le=1,
        doc="adults aware of online government services in the start month (the national "
        "portal's launch)",
        source="assumption (launch campaign, sources.md emongolia-launch-2020; fitted, "
        "docs/calibration.md)",
        sa=(0.2, 0.6),
    )
    share_recent_users: float = param(
        0.10,
        unit="share of adults",
        scope="country",
        ge=0,
        le=1,
        doc="adults who completed an online service in the 12 months before the start",
        source="assumption (E-barimt and earlier portals, sources.md ebarimt-2016)",
        sa=(0.05, 0.2),
    )
    share_esignature: float = param(
        0.008,
        unit="share of adults",
        scope="country",
        ge=0,
        le=1,
        doc="adults holding an e-signature certificate",
        source="sources.md esignatures-2021: ~38,000 (1.7% of adults) in Oct 2021, so ~1% a year "
        "earlier",
        sa=(0.005, 0.02),
    )


class Needs(ParameterGroup):
    """Service needs: how often citizens need a service and what it requires."""

    rate_needs_per_year: AgeValues = param(
        _ages(6.0, 6.0, 4.0),
        ge=0,
        le=120,
        unit="transactions per adult per year",
        scope="country",
        judgement=True,
        doc="mean number of service needs (Poisson)",
        source="assumption anchored on sources.md services-delivered: 36.5 M by Nov 2023",
        sa=(3, 10),
    )
    share_private: float = param(
        0.2,
        unit="share of transactions",
        scope="country",
        ge=0,
        le=1,
        doc="transactions at private relying parties (banks, notaries) that need state data",
        source="assumption (sources.md khur-2023: 329 of 462 Khur users are private)",
        sa=(0.1, 0.3),
    )
    p_needs_data: float = param(
        0.5,
        unit="probability",
        scope="country",
        ge=0,
        le=1,
        doc="a transaction needs data held in a state registry",
        source="assumption (sources.md bumdari-2022: citizens must bring paper documents)",
        sa=(0.3, 0.8),
    )
    share_data_unregistered: float = param(
        0.1,
        unit="share of data needs",
        scope="country",
        ge=0,
        le=1,
        doc="data needs that no state registry holds (always met with paper)",
        source="assumption",
        sa=(0.0, 0.3),
    )
    p_needs_legal_document: float = param(
        0.25,
        unit="probability",
        scope="country",
        judgement=True,
        ge=0,
        le=1,
        doc="a transaction needs a legally valid signed document (fails online without legal "
        "recognition of digital documents)",
        source="assumption (sources.md bumdari-2022: no legal recognition of digital documents)",
        sa=(0.1, 0.5),
    )
    p_needs_esignature: float = param(
        0.15,
        unit="probability",
        scope="country",
        ge=0,
        le=1,
        doc="an online service needs the citizen's e-signature (most need only a Dan login)",
        source="assumption (sources.md bumdari-2022, esignatures-2021: e-signatures used in "
        "tenders, tax and banking)",
        sa=(0.05, 0.3),
    )


class Choice(ParameterGroup):
    """Channel choice: a multinomial logit over online, assisted and in person (UTAUT)."""

    coef_online_intercept: float = param(
        0.5,
        unit="utility",
        scope="shared",
        judgement=True,
        doc="online utility intercept (in person = 0)",
        source="assumption (fitted, docs/calibration.md)",
        sa=(-1.0, 1.5),
        ge=-50,
        le=50,
    )
    coef_trust: float = param(
        2.0,
        unit="utility per unit trust",
        scope="shared",
        doc="trust lowers perceived risk (UTAUT + trust)",
        source="Venkatesh et al. 2003; Belanger and Carter 2008; size an assumption",
        sa=(1, 3),
        ge=-50,
        le=50,
    )
    coef_skill: float = param(
        2.0,
        unit="utility per unit skill",
        scope="shared",
        doc="effort expectancy through digital skill",
        source="Venkatesh et al. 2003; size an assumption",
        sa=(1, 3),
        ge=-50,
        le=50,
    )
    coef_peer: float = param(
        1.5,
        unit="utility per share",
        scope="shared",
        doc="social influence: share of ties who used online",
        source="Venkatesh et al. 2003; size an assumption",
        sa=(0.5, 2.5),
        ge=-50,
        le=50,
    )
    coef_experience: float = param(
        1.0,
        unit="utility",
        scope="shared",
        doc="own past outcomes, (successes - failures) / (n + 2)",
        source="Venkatesh et al. 2003 (experience moderates); size an assumption",
        sa=(0.5, 2),
        ge=-50,
        le=50,
    )
    coef_paper_habit: float = param(
        -2.5,
        unit="utility per unit habit",
        scope="shared",
        doc="habit of paper pulls towards the counter",
        source="assumption (sources.md bumdari-2022)",
        sa=(-4, -1),
        ge=-50,
        le=50,
    )
    coef_risk: float = param(
        -1.0,
        unit="utility",
        scope="shared",
        doc="perceived risk = (1 - trust) x insecurity of agencies",
        source="Belanger and Carter 2008; size an assumption",
        sa=(-2, 0),
        ge=-50,
        le=50,
    )
    coef_assisted_intercept: float = param(
        -1.5,
        unit="utility",
        scope="shared",
        doc="utility of an assisted channel (kiosk, one-stop centre)",
        source="assumption",
        sa=(-3, 0),
        ge=-50,
        le=50,
    )
    share_assisted_reach: AreaValues = param(
        AreaValues({}),
        ge=0,
        le=1,
        unit="probability",
        scope="country",
        doc="chance an assisted channel (kiosk, one-stop centre) is within reach, by area",
        source="country file ([country.sources] of scenarios/<country>/country.toml)",
        sa=(0.0, 0.7),
    )


class Learning(ParameterGroup):
    """How outcomes change trust, paper habit and skill; word of mouth."""

    rate_trust_gain: float = param(
        0.05,
        unit="share of the gap per success",
        scope="shared",
        ge=0,
        le=1,
        doc="trust moves this far towards 1 after an end-to-end success",
        source="assumption",
        sa=(0.02, 0.1),
    )
    rate_trust_loss: float = param(
        0.06,
        unit="share per failure",
        scope="shared",
        ge=0,
        le=1,
        doc="trust falls by this share after a paper round trip (negativity bias)",
        source="assumption",
        sa=(0.03, 0.15),
    )
    rate_habit_loss: float = param(
        0.05,
        unit="share per success",
        scope="shared",
        ge=0,
        le=1,
        doc="paper habit falls by this share after an end-to-end success",
        source="assumption",
        sa=(0.02, 0.1),
    )
    rate_habit_gain: float = param(
        0.02,
        unit="share of the gap per paper demand",
        scope="shared",
        ge=0,
        le=1,
        doc="paper habit moves towards 1 each time an agency demands a paper certificate",
        source="assumption",
        sa=(0.0, 0.05),
    )
    rate_skill_gain: float = param(
        0.03,
        unit="share of the gap per online use",
        scope="shared",
        ge=0,
        le=1,
        doc="digital skill learnt by doing, per online attempt",
        source="assumption",
        sa=(0.0, 0.06),
    )
    p_aware_media: float = param(
        0.03,
        unit="per month",
        scope="shared",
        judgement=True,
        ge=0,
        le=1,
        doc="Bass innovation: chance an unaware adult hears of online services from the media",
        source="Bass 1969; Sultan, Farley and Lehmann 1990 (p ~ 0.03/yr); monthly value an "
        "assumption",
        sa=(0.005, 0.05),
    )
    p_aware_peer: float = param(
        0.30,
        unit="per month per share of ties",
        scope="shared",
        ge=0,
        le=1,
        doc="Bass imitation: extra chance per share of ties who used online services",
        source="Bass 1969; Sultan, Farley and Lehmann 1990 (q ~ 0.38/yr); monthly value an "
        "assumption",
        sa=(0.1, 0.6),
    )
    awareness_from: Literal["users", "aware"] = param(
        "users",
        unit="choice",
        scope="shared",
        doc='whose ties spread awareness: recent online "users" '
        '(default) or everyone "aware" (the Bass docking configuration)',
        source="Bass 1969 (docking option, docs/validation.md)",
    )
    awareness_rule: Literal["bass", "threshold"] = param(
        "bass",
        unit="choice",
        scope="shared",
        doc='"bass": chance p + q x share of ties; "threshold": aware '
        "once the share of ties reaches the adult's threshold (Granovetter 1978)",
        source="Bass 1969; Granovetter 1978 (docking option, docs/validation.md)",
    )
    threshold_mean: float = param(
        0.25,
        unit="share of ties",
        scope="shared",
        ge=0,
        le=1,
        doc="mean adoption threshold (threshold rule only; normal, clipped to 0..1)",
        source="Granovetter 1978 (his example: mean 0.25)",
    )
    threshold_sd: float = param(
        0.1,
        unit="share of ties",
        scope="shared",
        ge=0,
        le=1,
        doc="spread of adoption thresholds (threshold rule only)",
        source="Granovetter 1978 (the cascade appears as the spread grows)",
    )
    rate_trust_social: float = param(
        0.02,
        unit="per month",
        scope="shared",
        ge=0,
        le=1,
        doc="trust moves this far towards the mean trust of ties each month (word of mouth)",
        source="assumption (DeGroot averaging)",
        sa=(0.0, 0.05),
    )


class Network(ParameterGroup):
    """Social ties: households, local ties within a locality, long-range ties."""

    n_local_ties: int = param(
        6,
        unit="ties per adult",
        scope="shared",
        judgement=True,
        ge=0,
        le=50,
        doc="ties to neighbours in the same locality (a ring lattice, so even)",
        source="assumption (Watts and Strogatz 1998)",
        sa=(2, 12),
    )
    p_long_range: float = param(
        0.05,
        unit="probability",
        scope="shared",
        judgement=True,
        ge=0,
        le=1,
        doc="chance a local tie is rewired to a random adult anywhere",
        source="assumption (Watts and Strogatz 1998; Eckles et al. 2024)",
        sa=(0.0, 0.2),
    )
    mixing: Literal["network", "full"] = param(
        "network",
        unit="choice",
        scope="shared",
        doc='"network": peers are one\'s ties; "full": everyone is everyone\'s peer (a fully '
        "mixed population, for docking with closed forms)",
        source="Bass 1969; Granovetter 1978 (docking option, docs/validation.md)",
    )


class Agencies(ParameterGroup):
    """Public agencies, private relying parties and registries."""

    n_public: int = param(
        40,
        unit="agencies",
        scope="country",
        ge=1,
        le=1000,
        doc="public agencies offering services",
        source="sources.md services-online: from 61 organisations (2022), 86 (2023); tens",
    )
    n_private: int = param(
        12,
        unit="relying parties",
        scope="country",
        ge=0,
        le=1000,
        doc="private relying parties (banks, notaries, ...) that need state data",
        source="assumption (sources.md khur-2023: 329 private Khur users, grouped)",
        sa=(5, 30),
    )
    n_registries: int = param(
        10,
        unit="registries",
        scope="country",
        ge=2,
        le=50,
        doc="state registries (civil registration, property, tax, social insurance, ...), each "
        "owned by one public agency",
        source="model design, docs/ODD.md (registries)",
    )
    traffic_exponent: float = param(
        0.8,
        unit="Zipf exponent",
        scope="shared",
        judgement=True,
        ge=0,
        le=3,
        doc="public agencies' share of transactions falls as rank^-exponent",
        source="assumption (a few agencies handle most services)",
        sa=(0.5, 1.2),
    )
    n_registries_needed_max: int = param(
        3,
        unit="registries",
        scope="shared",
        ge=2,
        le=50,
        doc="an agency's services draw on 2 to this many registries (uniform; at most "
        "n_registries)",
        source="assumption",
        sa=(2, 5),
    )
    concentration: float = param(
        8.0,
        unit="beta a+b",
        scope="shared",
        ge=0.5,
        doc="concentration of the beta distributions of agencies' initial state",
        source="assumption",
        sa=(4.0, 16.0),
        le=1_000,
    )
    share_online: float = param(
        0.50,
        unit="share of services",
        scope="country",
        ge=0,
        le=1,
        doc="mean share of an agency's services online in the start month",
        source="sources.md emongolia-launch-2020: 181 services online at launch, the most used "
        "ones, of ~1,100 later (services-online); weighted by use (assumption)",
        sa=(0.3, 0.7),
    )
    p_accepts_digital: float = param(
        0.30,
        unit="probability",
        scope="country",
        ge=0,
        le=1,
        doc="an agency accepts digital documents at the start",
        source="assumption (sources.md bumdari-2022: digital documents not recognised)",
        sa=(0.1, 0.5),
    )
    p_on_khur: float = param(
        0.50,
        unit="probability",
        scope="country",
        ge=0,
        le=1,
        doc="a public agency is connected to Khur at start",
        source="assumption (sources.md khur-2023: 462 organisations on Khur by 2023)",
        sa=(0.3, 0.7),
    )
    p_private_on_khur: float = param(
        0.30,
        unit="probability",
        scope="country",
        ge=0,
        le=1,
        doc="a private relying party is connected to Khur at start",
        source="assumption (sources.md khur-2023: 329 private Khur users in 2023)",
        sa=(0.1, 0.5),
    )
    p_registry_shared: float = param(
        0.15,
        unit="probability",
        scope="country",
        ge=0,
        le=1,
        doc="a registry's owner lets a given other agency query it through Khur",
        source="assumption (sources.md bumdari-2022: databases are closed)",
        sa=(0.05, 0.3),
    )
    mean_paper_demand: float = param(
        0.50,
        unit="probability",
        scope="country",
        ge=0,
        le=1,
        doc="mean chance an agency asks for a paper certificate even when it could fetch the data",
        source="assumption (sources.md bumdari-2022: demand for paper certification)",
        sa=(0.3, 0.8),
    )
    mean_security: float = param(
        0.50,
        unit="score 0-1",
        scope="country",
        ge=0,
        le=1,
        doc="mean information-security level of agencies",
        source="assumption (sources.md bumdari-2022: information security not guaranteed)",
        sa=(0.3, 0.7),
    )
    mean_inertia: float = param(
        0.80,
        unit="score 0-1",
        scope="country",
        judgement=True,
        ge=0,
        le=1,
        doc="mean inertia of public agencies ('the state owns the data')",
        source="assumption (sources.md bumdari-2022: inertia of mentality)",
        sa=(0.6, 0.95),
    )
    mean_inertia_private: float = param(
        0.40,
        unit="score 0-1",
        scope="country",
        judgement=True,
        ge=0,
        le=1,
        doc="mean inertia of private relying parties",
        source="assumption",
        sa=(0.2, 0.6),
    )
    rate_adapt: float = param(
        0.10,
        unit="per month",
        scope="shared",
        ge=0,
        le=1,
        doc="top chance an agency takes a step towards digital standards in a month "
        "(scaled by 1 - inertia and by pressure from citizens and peers)",
        source="assumption",
        sa=(0.02, 0.2),
    )
    step_online: float = param(
        0.05,
        unit="share of the gap per step",
        scope="shared",
        ge=0,
        le=1,
        doc="share of an agency's remaining offline services moved online in one step",
        source="assumption (sources.md services-online: 181 to 1,106 services online in three "
        "years)",
        sa=(0.02, 0.1),
    )
    step_paper: float = param(
        0.05,
        unit="share per step",
        scope="shared",
        ge=0,
        le=1,
        doc="relative fall of an agency's paper demand in one step",
        source="assumption",
        sa=(0.02, 0.1),
    )
    p_accept_per_step: float = param(
        0.3,
        unit="probability per step",
        scope="shared",
        ge=0,
        le=1,
        doc="chance that a step makes an agency start accepting digital documents",
        source="assumption",
        sa=(0.1, 0.6),
    )
    p_join_khur_per_step: float = param(
        0.3,
        unit="probability per step",
        scope="shared",
        ge=0,
        le=1,
        doc="chance that a step connects an agency to Khur",
        source="assumption",
        sa=(0.1, 0.6),
    )
    p_share_per_step: float = param(
        0.2,
        unit="probability per step",
        scope="shared",
        ge=0,
        le=1,
        doc="chance that a step makes a registry owner open its registry to one more agency",
        source="assumption",
        sa=(0.0, 0.5),
    )
    coef_pressure_demand: float = param(
        1.0,
        unit="weight",
        scope="shared",
        ge=0,
        doc="weight of citizens' online demand in an agency's pressure",
        source="assumption",
        sa=(0.5, 2),
        le=50,
    )
    coef_pressure_peers: float = param(
        0.5,
        unit="weight",
        scope="shared",
        ge=0,
        doc="weight of peer agencies accepting digital documents",
        source="assumption",
        sa=(0.0, 1.0),
        le=50,
    )

    @model_validator(mode="after")
    def _registries_needed(self) -> Agencies:
        if self.n_registries_needed_max > self.n_registries:
            raise ValueError(
                f"n_registries_needed_max ({self.n_registries_needed_max}) is more than "
                f"n_registries ({self.n_registries}): a service cannot draw on more registries "
                "than exist"
            )
        return self


class Coordination(ParameterGroup):
    """Coordination capacity: the secondary legislation and standards, the certificate
    authority and the data-sharing agreements between agencies on which the e-signature law,
    open databases and the once-only rule depend. The source study names its absence, for want
    of a unified public management (a central ministry), as the root cause of the other
    obstacles; a central ministry builds it fast, agencies on their own slowly."""

    capacity_initial: float = param(
        0.25,
        unit="share of full capacity",
        scope="country",
        ge=0,
        le=1,
        doc="coordination capacity at the start (0: none of the standards and agreements the "
        "reforms need, 1: all of them)",
        source="assumption (sources.md bumdari-2022: no unified public management, closed "
        "databases, agencies' own standards)",
        sa=(0.0, 0.5),
    )
    rate_capacity: float = param(
        0.005,
        unit="per month",
        scope="shared",
        judgement=True,
        ge=0,
        le=1,
        doc="share of the remaining capacity gap closed each month without a central ministry "
        "(agreements agencies make on their own)",
        source="assumption",
        sa=(0.0, 0.02),
    )
    rate_capacity_ministry: float = param(
        0.06,
        unit="per month",
        scope="shared",
        ge=0,
        le=1,
        doc="share of the remaining gap closed each month once a central ministry exists "
        "(two thirds closed in about a year and a half)",
        source="assumption (sources.md ministry-2022: ministry structure approved Jan 2022, "
        "CITA dissolved)",
        sa=(0.02, 0.15),
    )


class Security(ParameterGroup):
    """Breaches and their effect on trust."""

    rate_breach_max: float = param(
        0.01,
        unit="per agency per month",
        scope="shared",
        judgement=True,
        ge=0,
        le=1,
        doc="breach chance of an agency with no security; scales with (1 - security)^2",
        source="assumption (sources.md incident-2022: the national portal's incident of Apr 2022)",
        sa=(0.002, 0.03),
    )
    mean_severity: float = param(
        0.3,
        unit="share of users affected",
        scope="shared",
        ge=0,
        le=1,
        doc="mean severity of a breach: the share of the agency's online users affected",
        source="assumption",
        sa=(0.1, 0.6),
    )
    rate_trust_loss_news: float = param(
        0.05,
        unit="share per unit severity",
        scope="shared",
        ge=0,
        le=1,
        doc="trust lost by every adult aware of online services, per unit severity",
        source="assumption",
        sa=(0.0, 0.15),
    )
    rate_trust_loss_affected: float = param(
        0.30,
        unit="share",
        scope="shared",
        ge=0,
        le=1,
        doc="trust lost by an adult whose data was breached",
        source="assumption",
        sa=(0.1, 0.5),
    )


class Credentials(ParameterGroup):
    """Who obtains, and regains, the credentials that online services and tightened security
    demand (an e-signature certificate, a stronger Dan login). Regaining one after a
    `security_tightening` follows from mechanisms (docs/ODD.md 7.10): a locked-out adult tries
    in a month a service need arrives, and succeeds through any of three routes, each with its
    own draw: a remote renewal (internet access, a chance rising with skill), a trip to a
    registration point (a chance falling with the area's travel time), or a household member's
    help (another adult of the household with internet who holds the credential or is
    skilled). A route's chance at 0 switches it off. The group factors by age and area are
    calibration knobs at 1 (no data exist to set them): they scale every chance of obtaining or
    regaining a credential, so no group constant decides who is locked out longer unless a
    study sets one."""

    age_factor: AgeValues = param(
        _ages(1.0, 1.0, 1.0),
        ge=0,
        le=5,
        unit="relative chance",
        scope="country",
        doc="calibration knob (1: off): relative chance of obtaining or regaining a credential, "
        "by age group, on top of the mechanisms",
        source="assumption (no data on who regains a credential; 1 leaves the gaps to the "
        "mechanisms)",
        sa=(0.3, 1.5),
        weights=True,
    )
    area_factor: AreaValues = param(
        AreaValues({}),
        ge=0,
        le=1,
        unit="relative chance",
        scope="country",
        doc="calibration knob (1: off): relative chance by area, on top of the travel time to a "
        "registration point",
        source="country file ([country.sources] of scenarios/<country>/country.toml)",
        sa=(0.2, 1.0),
    )
    coef_skill: float = param(
        1.0,
        unit="per unit skill",
        scope="shared",
        ge=0,
        le=2,
        doc="how much digital skill helps obtain a credential in the background trend and among "
        "the initial holders: the chance is multiplied by 1 + coef_skill x (skill - 0.5)",
        source="assumption",
        sa=(0.0, 2.0),
    )
    p_try_without_need: float = param(
        0.0,
        unit="probability per month",
        scope="shared",
        ge=0,
        le=1,
        doc="demand: chance a locked-out adult with no service need this month tries to regain "
        "the credential anyway (one with a need always tries; 1 switches demand off)",
        source="assumption (people renew a credential when a need arrives)",
        sa=(0.0, 0.2),
    )
    p_remote: float = param(
        0.08,
        unit="probability per attempt",
        scope="shared",
        ge=0,
        le=1,
        doc="remote renewal: chance an attempt succeeds online, for an adult with internet access "
        "and skill 1 (times skill; 0 switches the route off)",
        source="assumption (estonia-2017: suspended certificates could be renewed remotely)",
        sa=(0.0, 0.2),
    )
    p_in_person: float = param(
        0.06,
        unit="probability per attempt",
        scope="shared",
        ge=0,
        le=1,
        doc="in person: chance an attempt by a trip to a registration point succeeds with no "
        "travel (times exp(-hours_travel / hours_scale); 0 switches the route off)",
        source="assumption",
        sa=(0.0, 0.15),
    )
    hours_travel: AreaValues = param(
        AreaValues({}),
        ge=0,
        le=48,
        unit="hours",
        scope="country",
        doc="in person: travel time, one way, to a point that issues the credential, by area",
        source="country file ([country.sources] of scenarios/<country>/country.toml)",
        sa=(0.5, 12.0),
    )
    hours_scale: float = param(
        4.0,
        unit="hours",
        scope="shared",
        ge=0.1,
        le=100,
        doc="in person: the travel time that cuts the chance of a trip by a factor e",
        source="assumption",
        sa=(2.0, 8.0),
    )
    p_household: float = param(
        0.05,
        unit="probability per attempt",
        scope="shared",
        ge=0,
        le=1,
        doc="household help: chance an attempt succeeds by proxy or assisted renewal, for an adult "
        "with a helper at home (0 switches the route off)",
        source="assumption",
        sa=(0.0, 0.15),
    )
    skill_helper: float = param(
        0.7,
        unit="skill (0-1)",
        scope="shared",
        ge=0,
        le=1,
        doc="household help: skill a household member with internet needs to help without "
        "holding the credential (one who holds it can always help)",
        source="assumption",
        sa=(0.5, 0.9),
    )


class Trends(ParameterGroup):
    """Background trends of e-signature uptake."""

    rate_esignature_uptake: float = param(
        0.0006,
        unit="per month",
        scope="country",
        ge=0,
        le=1,
        doc="chance an adult without an e-signature gets one in a month (before any law)",
        source="sources.md esignatures-2021: ~38,000 holders (1.7%) in Oct 2021",
        sa=(0.0002, 0.002),
    )


class Costs(ParameterGroup):
    """Time costs used for citizen hours saved."""

    hours_visit: float = param(
        3.0,
        unit="hours",
        scope="country",
        ge=0,
        doc="an in-person visit, travel and queue included",
        source="assumption",
        sa=(1, 6),
        le=1_000,
    )
    hours_online: float = param(
        0.25,
        unit="hours",
        scope="shared",
        ge=0,
        doc="an online transaction",
        source="assumption",
        sa=(0.1, 0.5),
        le=1_000,
    )


class Params(ParameterGroup):
    """All parameter groups; a scenario's ``[params]`` table overrides any of them."""

    population: Population = Population()
    internet: Internet = Internet()
    traits: Traits = Traits()
    needs: Needs = Needs()
    choice: Choice = Choice()
    learning: Learning = Learning()
    network: Network = Network()
    agencies: Agencies = Agencies()
    coordination: Coordination = Coordination()
    credentials: Credentials = Credentials()
    security: Security = Security()
    trends: Trends = Trends()
    costs: Costs = Costs()


def iter_parameters(
    group: type[BaseModel] = Params, prefix: str = "params"
) -> Iterator[tuple[str, FieldInfo, Any]]:
    """Yield ``(key path, field info, default)`` for every leaf parameter, in declaration order."""
    for name, info in group.model_fields.items():
        path = f"{prefix}.{name}"
        annotation = info.annotation
        if group is Params:
            yield from iter_parameters(annotation, path)
        else:
            yield path, info, info.default


@functools.cache
def _scopes() -> dict[str, tuple[Scope, bool]]:
    """``path -> (scope, judgement)`` of every leaf parameter, in declaration order."""
    return {
        path: (field_extra(info)["scope"], bool(field_extra(info).get("judgement")))
        for path, info, _ in iter_parameters()
    }


def _parameter_path(path: str) -> str:
    """The leaf parameter a path or keyword names (``choice.coef_trust``,
    ``params.internet.share_initial["rural"]``, ``internet__share_initial__rural`` ->
    ``params.<group>.<name>``); a KeyError naming the closest parameter if there is none."""
    key = path.replace("__", ".")
    key = key if key.startswith("params.") else f"params.{key}"
    scopes = _scopes()
    if key in scopes:
        return key
    parent, _, entry = key.rpartition(".")
    if parent in scopes:  # one entry of a per-area or per-age table
        group, name = parent.split(".")[1:]
        default = getattr(Params.model_fields[group].annotation(), name)
        if isinstance(default, AREA_TABLE_TYPES) and AREA_NAME.fullmatch(entry):
            return parent  # an area of some country
        if isinstance(default, BaseModel) and entry in type(default).model_fields:
            return parent
    from difflib import get_close_matches

    close = get_close_matches(key, scopes, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise KeyError(f"unknown parameter {path!r}{hint}")


def scope_of(path: str) -> Scope:
    """``"shared"`` or ``"country"`` for a parameter given by its path (``choice.coef_trust``,
    with or without the leading ``params.``), one entry of a table
    (``internet.share_initial["rural"]``) or its keyword (``choice__coef_trust``)."""
    return _scopes()[_parameter_path(path)][0]


def is_judgement(path: str) -> bool:
    """Whether a parameter's scope is a judgement call (listed in docs/ODD.md, section 6)."""
    return _scopes()[_parameter_path(path)][1]


def shared_parameters() -> tuple[str, ...]:
    """Paths (``params.<group>.<name>``) of the parameters every country shares: the ones a
    calibration across countries pools."""
    return tuple(path for path, (scope, _) in _scopes().items() if scope == "shared")


def country_parameters() -> tuple[str, ...]:
    """Paths of the parameters that describe one country: held per country in a calibration
    across countries."""
    return tuple(path for path, (scope, _) in _scopes().items() if scope == "country")


def judgement_parameters() -> tuple[str, ...]:
    """Paths of the parameters whose scope is a judgement call (docs/ODD.md lists them)."""
    return tuple(path for path, (_, judgement) in _scopes().items() if judgement)
