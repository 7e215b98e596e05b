"""The model's outputs by name, with their meanings: pure data, so that analyses and reports
can label them without importing the model (:mod:`sim.model.metrics` computes them)."""

from __future__ import annotations

METRICS: dict[str, str] = {
    "internet_share": "share of adults with internet access",
    "aware_share": "share of adults aware of online services",
    "online_users_share": "share of adults who completed an online service in the last 12 months",
    "online_tried_share": "share of adults who tried an online service in the last 12 months",
    "online_ever_share": "share of adults who have ever tried an online service (cf. registered "
    "E-Mongolia users)",
    "end_to_end_share": "share of this month's transactions completed fully online",
    "online_attempt_share": "share of this month's transactions attempted online",
    "assisted_share": "share of this month's transactions at kiosks or one-stop centres",
    "in_person_visits_per_1000": "in-person visits this month per 1,000 adults",
    "paper_documents_per_1000": "paper certificates obtained this month per 1,000 adults",
    "round_trips_per_1000": "online attempts sent back for paper this month per 1,000 adults",
    "mean_trust": "mean trust in digital government",
    "mean_paper_habit": "mean paper habit",
    "esignature_share": "share of adults holding an e-signature",
    "agencies_accepting_digital_share": "share of agencies accepting digital documents",
    "agencies_on_khur_share": "share of agencies connected to Khur",
    "mean_paper_demand": "mean habit of agencies to ask for paper",
    "coordination_capacity": "coordination capacity (standards, certificate authority, "
    "data-sharing agreements), 0..1",
    "online_users_urban": "online_users_share in Ulaanbaatar and aimag centres",
    "online_users_rural": "online_users_share in soum centres and rural areas",
    "urban_rural_gap": "online_users_urban minus online_users_rural",
    "internet_urban": "internet_share in Ulaanbaatar and aimag centres",
    "internet_rural": "internet_share in soum centres and rural areas",
    "online_users_urban_internet": "online_users_share among urban adults with internet access",
    "online_users_rural_internet": "online_users_share among rural adults with internet access",
    "online_users_young": "online_users_share aged 15-34",
    "online_users_old": "online_users_share aged 55+",
    "age_gap": "online_users_young minus online_users_old",
    "locked_out_share": "share of adults locked out of online services by a security tightening",
    "locked_out_young": "locked_out_share aged 15-34",
    "locked_out_old": "locked_out_share aged 55+",
    "locked_out_urban": "locked_out_share in Ulaanbaatar and aimag centres",
    "locked_out_rural": "locked_out_share in soum centres and rural areas",
    "breaches": "security breaches this month",
    "hours_saved_per_1000": "citizen hours saved this month by online use, per 1,000 adults",
}
"""Every column of the time series, with its meaning (also documented in docs/ODD.md)."""
