"""Run the ``gitdgm`` command and SIGKILL it as its step enters a phase: the crash tests' fault injection.

Usage: python -m support.faults PHASE gitdgm-arguments...  (``tests/`` on PYTHONPATH). Kept out of the product:
the step only journals its phases; this wraps ``Journal.phase`` so the kill lands right after the journal says
what was about to start, exactly where a real crash would leave it.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from gitdgm.cli import main
from gitdgm.engine.journal import Journal


def kill_at(phase: str) -> None:
    journal_phase = Journal.phase

    def phase_then_die(self: Journal, name: str, **info: Any) -> None:
        journal_phase(self, name, **info)
        if name == phase:
            os.kill(os.getpid(), signal.SIGKILL)

    Journal.phase = phase_then_die  # type: ignore[method-assign]


if __name__ == "__main__":
    kill_at(sys.argv.pop(1))
    main()
