"""The ``egov-sim`` command: one small module per sub-command, each parsing its options,
calling one library function and printing.

Exit status: 0 success, 1 a failed check or an unexpected failure, 2 bad input (a file, a key,
an option, an environment variable or an output folder that is not the command's), 130
interrupted (Ctrl-C), 141 output closed (a broken pipe), 143 terminated (SIGTERM). Bad input is
reported as one line per problem on stderr, never as a traceback, and nothing is written.

This package's own import is kept small: :func:`main` puts the signal handlers in place
(``sim.signals``) before anything else is imported, so Ctrl-C is handled from its first
instruction, imports included.
"""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """The ``egov-sim`` command; its exit status."""
    import sys

    from sim import signals

    previous = signals.install()
    try:
        signals.checkpoint("imports")
        from sim.cli.app import dispatch

        return dispatch(argv)
    except (KeyboardInterrupt, signals.Terminated) as stop:  # in the imports, or a late one
        word, status = ("terminated", 143) if isinstance(stop, signals.Terminated) else (
            "interrupted", 130)  # fmt: skip
        try:
            print(f"egov-sim: {word}; finished outputs are kept, nothing partial was written",
                  file=sys.stderr)  # fmt: skip
        except (OSError, ValueError):
            pass
        return status
    finally:
        signals.restore(previous)


__all__ = ["main"]
