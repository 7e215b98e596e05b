"""The model's outputs by name, declared once: label, unit, meaning, which way is better,
stock or flow, headline or not. Pure data, so that analyses, reports, figures, the dashboard
and the command line take their words from here without importing the model
(:mod:`sim.model.metrics` computes the values)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["higher", "lower", "none"]
Kind = Literal["stock", "flow", "events"]

SHARE = "share of adults"
SHARE_TX = "share of transactions"
SHARE_ATTEMPTS = "share of online attempts"
PER_1000 = "per 1,000 adults a month"


@dataclass(frozen=True)
class Metric:
    """One column of the time series."""

    name: str
    """the column's identifier (in tables, experiment files and the Python API)"""
    label: str
    """what a reader sees: a figure's axis or legend, a report's row"""
    unit: str
    """what the number counts: "share of adults" (0..1), "per 1,000 adults a month", ..."""
    description: str
    """one sentence saying exactly what is counted"""
    direction: Direction = "none"
    """which way is better for the policy question: "higher", "lower" or "none" (neither)"""
    kind: Kind = "stock"
    """"stock": a state at the end of the month; "flow": this month's transactions (empty,
    NaN, in the initial row); "events": things that happened this month (0 in the initial row)"""
    note: str = ""
    """what a reader needs to read the value right (e.g. why it can be negative)"""

    @property
    def headline(self) -> bool:
        """Shown in effect tables and summaries by default."""
        return self.name in HEADLINE

    @property
    def is_share(self) -> bool:
        return self.unit.startswith("share")

    @property
    def axis(self) -> str:
        """An axis label: the label with its unit."""
        return f"{self.label} ({self.unit})"


def _m(*args, **kwargs) -> Metric:
    return Metric(*args, **kwargs)


_ALL = (
    _m(
        "internet_share",
        "Internet access",
        SHARE,
        "share of adults with internet access",
        "higher",
    ),
    _m(
        "aware_share",
        "Aware of online services",
        SHARE,
        "share of adults aware of online services",
        "higher",
    ),
    _m(
        "online_users_share",
        "Used an online service (12 months)",
        SHARE,
        "share of adults who completed an online service in the last 12 months",
        "higher",
    ),
    _m(
        "online_tried_share",
        "Tried an online service (12 months)",
        SHARE,
        "share of adults who tried an online service in the last 12 months",
        "higher",
    ),
    _m(
        "online_ever_share",
        "Ever tried an online service",
        SHARE,
        "share of adults who have ever tried an online service (compare the registered users "
        "of the national portal)",
        "higher",
    ),
    _m(
        "end_to_end_share",
        "Completed end to end online",
        SHARE_TX,
        "share of this month's transactions completed fully online",
        "higher",
        "flow",
    ),
    _m(
        "online_attempt_share",
        "Attempted online",
        SHARE_TX,
        "share of this month's transactions attempted online",
        "higher",
        "flow",
    ),
    _m(
        "assisted_share",
        "At kiosks or one-stop centres",
        SHARE_TX,
        "share of this month's transactions at kiosks or one-stop centres",
        "none",
        "flow",
    ),
    _m(
        "in_person_visits_per_1000",
        "In-person visits",
        PER_1000,
        "in-person visits this month per 1,000 adults",
        "lower",
        "flow",
    ),
    _m(
        "paper_documents_per_1000",
        "Paper certificates",
        PER_1000,
        "paper certificates obtained this month per 1,000 adults",
        "lower",
        "flow",
    ),
    _m(
        "round_trips_per_1000",
        "Sent back for paper",
        PER_1000,
        "online attempts sent back for a paper certificate this month per 1,000 adults",
        "lower",
        "flow",
    ),
    _m(
        "failed_legal_share",
        "Failed online: document not legally accepted",
        SHARE_ATTEMPTS,
        "share of this month's online attempts sent back because the service needs a legally "
        "valid document the agency cannot take digitally",
        "lower",
        "flow",
        note="the three failure channels sum to the failed attempts; the legal refusal is "
        "counted first, then data the agency cannot fetch, then paper demanded anyway",
    ),
    _m(
        "failed_data_share",
        "Failed online: data not fetched",
        SHARE_ATTEMPTS,
        "share of this month's online attempts sent back for a paper certificate because the "
        "agency cannot fetch the data (no registry access, not pullable, or unregistered)",
        "lower",
        "flow",
    ),
    _m(
        "failed_paper_demand_share",
        "Failed online: paper demanded anyway",
        SHARE_ATTEMPTS,
        "share of this month's online attempts sent back for a paper certificate the agency "
        "could have fetched itself",
        "lower",
        "flow",
    ),
    _m(
        "mean_trust",
        "Trust in digital government",
        "mean, 0 to 1",
        "mean trust in digital government",
        "higher",
    ),
    _m(
        "mean_paper_habit",
        "Paper habit",
        "mean, 0 to 1",
        "mean habit of citizens to bring paper certificates",
        "lower",
    ),
    _m(
        "esignature_share",
        "Hold an e-signature",
        SHARE,
        "share of adults holding an e-signature",
        "higher",
    ),
    _m(
        "agencies_accepting_digital_share",
        "Agencies accepting digital documents",
        "share of agencies",
        "share of agencies accepting digital documents",
        "higher",
    ),
    _m(
        "agencies_on_khur_share",
        "Agencies connected to the data exchange",
        "share of agencies",
        "share of agencies connected to Khur, the state data-exchange platform",
        "higher",
    ),
    _m(
        "mean_paper_demand",
        "Agencies' paper demand",
        "mean, 0 to 1",
        "mean habit of agencies to ask for paper",
        "lower",
    ),
    _m(
        "coordination_capacity",
        "Coordination capacity",
        "0 to 1",
        "coordination capacity (standards, certificate authority, data-sharing agreements)",
        "higher",
    ),
    _m(
        "reforms_adopted",
        "Endogenous reforms adopted",
        "reforms",
        "endogenous reforms (levers that arise with a chance rather than on a date) adopted so "
        "far; 0 in a scenario without any",
        note="with one endogenous reform, 0 or 1: its mean over runs is the share of runs in "
        "which the reform has arisen, and a run's first month at 1 is the month of adoption",
    ),
    _m(
        "online_users_urban",
        "Used an online service: urban",
        SHARE,
        "online users' share among adults in the urban areas (those the country file marks urban)",
        "higher",
    ),
    _m(
        "online_users_rural",
        "Used an online service: rural",
        SHARE,
        "online users' share among adults in the other areas",
        "higher",
    ),
    _m(
        "urban_rural_gap",
        "Urban minus rural online use",
        "difference of shares",
        "online users' share, urban minus rural adults",
        "lower",
    ),
    _m(
        "internet_urban",
        "Internet access: urban",
        SHARE,
        "internet access among adults in the urban areas",
        "higher",
    ),
    _m(
        "internet_rural",
        "Internet access: rural",
        SHARE,
        "internet access among adults in the other areas",
        "higher",
    ),
    _m(
        "online_users_urban_internet",
        "Used an online service: urban, with internet",
        "share of adults with internet",
        "online users' share among urban adults with internet access",
        "higher",
    ),
    _m(
        "online_users_rural_internet",
        "Used an online service: rural, with internet",
        "share of adults with internet",
        "online users' share among rural adults with internet access",
        "higher",
    ),
    _m(
        "online_users_young",
        "Used an online service: aged 15-34",
        SHARE,
        "online users' share among adults aged 15-34",
        "higher",
    ),
    _m(
        "online_users_old",
        "Used an online service: aged 55+",
        SHARE,
        "online users' share among adults aged 55 and over",
        "higher",
    ),
    _m(
        "age_gap",
        "Aged 15-34 minus 55+ online use",
        "difference of shares",
        "online users' share, adults aged 15-34 minus 55 and over",
        "lower",
    ),
    _m(
        "locked_out_share",
        "Locked out of online services",
        SHARE,
        "share of adults locked out of online services by a security tightening",
        "lower",
    ),
    _m(
        "locked_out_young",
        "Locked out: aged 15-34",
        SHARE,
        "locked-out share among adults aged 15-34",
        "lower",
    ),
    _m(
        "locked_out_old",
        "Locked out: aged 55+",
        SHARE,
        "locked-out share among adults aged 55 and over",
        "lower",
    ),
    _m(
        "locked_out_urban",
        "Locked out: urban",
        SHARE,
        "locked-out share among adults in the urban areas",
        "lower",
    ),
    _m(
        "locked_out_rural",
        "Locked out: rural",
        SHARE,
        "locked-out share among adults in the other areas",
        "lower",
    ),
    _m(
        "breaches",
        "Security breaches",
        "breaches a month",
        "security breaches this month",
        "lower",
        "events",
    ),
    _m(
        "hours_saved_per_1000",
        "Hours saved by online use",
        "hours per 1,000 adults a month",
        "citizen hours saved this month by online use against doing everything in person, "
        "per 1,000 adults",
        "higher",
        "flow",
        note="negative when failed online attempts (sent back for paper) cost more time than "
        "completed ones save, as under the status quo",
    ),
)

REGISTRY: dict[str, Metric] = {m.name: m for m in _ALL}
"""Every column of the time series, by name (also documented in docs/ODD.md)."""

METRICS: dict[str, str] = {m.name: m.description for m in _ALL}
"""Every column's one-sentence meaning, by name."""

HEADLINE: tuple[str, ...] = (
    "online_users_share",
    "end_to_end_share",
    "online_attempt_share",
    "internet_share",
    "in_person_visits_per_1000",
    "paper_documents_per_1000",
    "mean_trust",
    "mean_paper_habit",
    "esignature_share",
    "agencies_accepting_digital_share",
    "urban_rural_gap",
    "age_gap",
    "hours_saved_per_1000",
)
"""Metrics shown in effect tables and ``compare`` by default, in this order."""

FLOW_METRICS: tuple[str, ...] = tuple(m.name for m in _ALL if m.kind == "flow")
"""Metrics about a month's transactions: empty (NaN) in the initial row."""


def metric(name: str) -> Metric:
    """The metric called ``name``; a KeyError naming the allowed names (and the closest) if
    there is none."""
    try:
        return REGISTRY[name]
    except KeyError:
        from difflib import get_close_matches

        close = get_close_matches(name, REGISTRY, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise KeyError(f"unknown metric {name!r}{hint} (allowed: {', '.join(REGISTRY)})") from None


def label(name: str) -> str:
    """A reader's name for a metric (the identifier itself for columns that are not metrics)."""
    m = REGISTRY.get(name)
    return m.label if m else name
