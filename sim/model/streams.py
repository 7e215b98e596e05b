"""Random streams: one per part of the build, per mechanism and per lever, per month, tied to
the adult.

Every random number of a run comes from a stream keyed on the run's seed, the stream's
name and the month (-1 for the build; and, for some streams, one more key such as an
agency), through a :class:`numpy.random.SeedSequence`. :data:`MECHANISMS` names them all;
any other name (but a lever's) is refused. Streams over adults and their transactions are
counter-based (:meth:`Streams.key`, ``kernels.uniform``): the number at slot i is a pure
function of the stream's key and i, so any thread can draw any slot; adult i owns slot i,
and need j of adult i owns slot ``i x 64 + j``. Small streams (over agencies, or a lever's
own decisions) are numpy generators (:meth:`Streams.get`). So:

- a change in one mechanism or lever never reshuffles another's numbers: a lever that does
  not act on a mechanism leaves its trajectory bit-identical (common random numbers);
- which other adults draw never changes an adult's number: the same adult meets the same
  luck in two scenarios for as long as their states agree;
- nothing depends on the order in which mechanisms run, or on how many draws came before;
- the build is split the same way (households, places, ages, each trait, rewiring, each
  agency trait keyed by the agency, each registry's sharing row), each part drawing a fixed
  count of numbers per household, adult, tie or agency where a parameter could change the
  count: a network or population parameter leaves every agency and registry bit-identical,
  a trait parameter leaves ages, places and households, and one agency trait the others.

Needs and their agencies are the same in every scenario of a seed (they do not depend on
the levers), and every draw of a transaction is indexed by its adult and need.
"""

from __future__ import annotations

import zlib

import numpy as np

from sim.model import kernels

MECHANISMS = (
    # The build (month -1): the population (sim.model.synth), ...
    "population.households",  # household sizes (adults per household)
    "population.places",  # each household's area and locality
    "population.ages",  # each adult's age band and year within it
    "population.internet",  # internet access at the start
    "population.skill",  # digital skill (a beta draw per adult)
    "population.trust",  # trust in digital government (a beta draw per adult)
    "population.paper_habit",  # paper habit (a beta draw per adult)
    "population.esignature",  # e-signature holders at the start
    "population.aware",  # who knows at the start that services can be used online
    "population.recent",  # recent users at the start, and their last use
    "population.threshold",  # adoption thresholds (threshold awareness rule only)
    # ... the ties (sim.model.network), keyed by the ring distance ...
    "ties.rewiring",  # which local ties are rewired, and to whom
    # ... and the agencies and registries (sim.model.agencies), keyed by agency or registry.
    "agencies.needs",  # which registries an agency's services need, and how often
    "agencies.share_online",  # share of an agency's services online at the start
    "agencies.accepts_digital",  # accepts digital documents at the start
    "agencies.on_khur",  # connected to Khur at the start
    "agencies.paper_demand",  # habit of asking for paper certificates
    "agencies.security",  # security level
    "agencies.inertia",  # resistance to change
    "registries.shared",  # which agencies a registry's owner lets query it
    # The months:
    "needs",  # how many needs each adult has this month
    "agency",  # which agency each need goes to
    "choice",  # channel choice per transaction
    "outcome",  # end to end or a round trip; counters turning people away
    "awareness",  # word of mouth and media
    "internet",  # connectivity uptake
    "esignature",  # e-signature certificates
    "adapt",  # agencies' own adaptation
    "breach",  # breaches at agencies (chance and severity)
    "exposure",  # who is exposed by a breach
)
"""The model's own streams; levers get one each, named ``lever:<id or content>:<instance>``
(:mod:`sim.model.actions`). A stream's numbers depend on its name, never on its place
here. Nothing draws from Mesa's ``model.rng``."""

LEVER_STREAM = "lever:"
"""The prefix of every lever's stream name."""


def _checked(name: str) -> str:
    """``name`` if it is a mechanism or a lever's stream; a ValueError otherwise, so a typo
    never opens a new stream silently."""
    if name in MECHANISMS or (name.startswith(LEVER_STREAM) and len(name) > len(LEVER_STREAM)):
        return name
    raise ValueError(
        f"unknown random stream {name!r} (allowed: {', '.join(MECHANISMS)}, or "
        f"{LEVER_STREAM}<lever> for a lever)"
    )


def stream_id(name: str) -> int:
    """A stable integer for a stream name (a mechanism, or a lever's content)."""
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """The random streams of one run."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)

    def get(self, name: str, month: int, *keys: int) -> np.random.Generator:
        """The generator of stream ``name`` in ``month`` (-1: the build), for extra ``keys``
        (an agency, a registry). Fresh each call: the same arguments give the same numbers."""
        words = [self.seed, stream_id(_checked(name)), month + 1, *keys]
        return np.random.default_rng(np.random.SeedSequence(words))

    def key(self, name: str, month: int, *keys: int) -> int:
        """The 64-bit key of the counter-based stream ``name`` in ``month`` (for ``keys``)."""
        words = [self.seed, stream_id(_checked(name)), month + 1, *keys]
        return int(np.random.SeedSequence(words).generate_state(1, np.uint64)[0])

    def keys(self, month: int, streams: tuple[tuple, ...]) -> np.ndarray:
        """The keys of ``streams`` (``(name, *keys)`` each) in ``month``, as uint64."""
        return np.array([self.key(s[0], month, *s[1:]) for s in streams], dtype=np.uint64)

    def uniform(self, name: str, month: int, n: int, *keys: int) -> np.ndarray:
        """``n`` float32 uniforms of the counter-based stream ``name`` in ``month``: slot i
        is adult i's number."""
        return kernels.uniforms(self.key(name, month, *keys), n)
