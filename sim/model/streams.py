"""Random streams: one per mechanism and per lever, per month, tied to the adult.

Every random number of a run comes from a stream keyed on the run's seed, the stream's
name and the month (and, for some streams, one more key such as an agency), through a
:class:`numpy.random.SeedSequence`. Streams over adults and their transactions are
counter-based (:meth:`Streams.key`, ``kernels.uniform``): the number at slot i is a pure
function of the stream's key and i, so any thread can draw any slot; adult i owns slot i,
and need j of adult i owns slot ``i x 64 + j``. Small streams (over agencies, or a lever's
own decisions) are numpy generators (:meth:`Streams.get`). So:

- a change in one mechanism or lever never reshuffles another's numbers: a lever that does
  not act on a mechanism leaves its trajectory bit-identical (common random numbers);
- which other adults draw never changes an adult's number: the same adult meets the same
  luck in two scenarios for as long as their states agree;
- nothing depends on the order in which mechanisms run, or on how many draws came before.

Needs and their agencies are the same in every scenario of a seed (they do not depend on
the levers), and every draw of a transaction is indexed by its adult and need.
"""

from __future__ import annotations

import zlib

import numpy as np

from sim.model import kernels

MECHANISMS = (
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
(:mod:`sim.model.interventions`). A stream's numbers depend on its name, never on its place
here. The build (population, ties, agencies) draws from ``model.rng``."""

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
