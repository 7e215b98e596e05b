"""The project's input errors, at the bottom of the layers so every layer can raise them."""

from __future__ import annotations

MAX_REPORTED = 20
"""Problems of one file reported at once; more are counted, not listed."""


class ScenarioError(Exception):
    """Bad input (a scenario, experiment, sensitivity or calibration file, or an option).

    ``str(error)`` is one line per problem, each ``file: key.path: message (allowed: ...)``;
    the command line prints it and exits with status 2, before any work starts."""


class KeyedError(ValueError):
    """Problems found by a validator, each with the key path it concerns, relative to the
    table being validated (``"share_initial.rural"``, ``"interventions[2].at"``)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems
