"""Entry point (`python3 -P -m dgm_agent`): read the settings, run the agent, exit with a meaningful code.

Exit codes: 0 the run ended cleanly (done, or a turn/time/context cap), 1 a crash (a bug: see log.jsonl),
2 an unusable environment (a missing variable, no `openai` package), 3 the model endpoint is unusable.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from dgm_agent.log import RunLog
from dgm_agent.settings import Settings, SettingsError


def main() -> int:
    try:
        settings = Settings.from_env()
        log = RunLog(settings.output_dir, secrets=[settings.api_key])
    except (SettingsError, OSError) as error:
        print(f"dgm_agent: {error}", file=sys.stderr)
        return 2
    try:
        from dgm_agent.loop import Agent, Terminated
        from dgm_agent.model import Model
    except ImportError as error:
        log.event("end", reason="environment", detail=f"cannot import: {error}", turns=0)
        print(f"dgm_agent: cannot import: {error} (is the openai package installed?)", file=sys.stderr)
        return 2
    from dgm_agent.tools.toolbox import Toolbox

    def terminate(signum: int, frame: object) -> None:
        raise Terminated()

    signal.signal(signal.SIGTERM, terminate)
    model = Model(settings.model, settings.base_url, settings.api_key, settings.socket)
    toolbox = Toolbox(Path.cwd(), settings.bash_timeout)
    try:
        end = Agent(settings, model, toolbox, log).run()
    finally:
        toolbox.close()
        log.close()
    return end.exit_code


if __name__ == "__main__":
    sys.exit(main())
