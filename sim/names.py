"""Names the parameters imply: the registries and agencies of a parameter set, in model order,
and how a reader sees an identifier (an agency's, a registry's or an area's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.params import Params


REGISTRY_NAMES = (
    "civil_registration",
    "property",
    "tax",
    "social_insurance",
    "vehicles",
    "land",
    "address",
    "education",
    "health",
    "courts",
    "business",
    "pensions",
)
"""Registry names; a scenario with more registries than names gets ``registry_13`` etc."""
PRIVATE_KINDS = ("bank", "notary", "insurer", "telecom")
"""Kinds of private relying party, in turn: the private agencies are ``bank_1``, ``notary_1``,
..., ``bank_2``, ..."""


def registry_names(params: Params) -> list[str]:
    """Names of the registries of ``params``, in model order."""
    n = params.agencies.n_registries
    return [REGISTRY_NAMES[i] if i < len(REGISTRY_NAMES) else f"registry_{i + 1}" for i in range(n)]


def agency_names(params: Params) -> list[str]:
    """Names of all agencies in model order: registry owners, other public, private."""
    ap = params.agencies
    regs = registry_names(params)
    names = [
        f"{regs[i]}_agency" if i < len(regs) else f"public_agency_{i + 1}"
        for i in range(ap.n_public)
    ]
    names += [
        f"{PRIVATE_KINDS[j % len(PRIVATE_KINDS)]}_{j // len(PRIVATE_KINDS) + 1}"
        for j in range(ap.n_private)
    ]
    return names


def display_name(name: str) -> str:
    """An agency's, registry's or area's identifier as a reader writes it
    (``civil_registration_agency`` -> "Civil registration agency", ``bank_2`` -> "Bank 2")."""
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]
