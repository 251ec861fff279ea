"""The `bash` tool: one long-lived shell, so that `cd`, variables and activated environments persist.

Each command is written to a file and `source`d with stdin from /dev/null (a command that reads stdin cannot
swallow ours, and quoting or heredocs in the command cannot confuse the protocol); then the shell prints a random
sentinel with the exit code and working directory. The shell leads its own process group: on timeout the whole
group (the shell and everything it started) is killed and a new shell starts in the last known directory.
"""

from __future__ import annotations

import contextlib
import os
import select
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SCHEMA = {
    "type": "function",
    "function": {
        "name": "bash",
        "description": (
            "Run a command in a persistent bash shell (cd and environment variables persist between calls). "
            "stdin is /dev/null, so interactive programs will not wait for input. Long outputs are cut in the "
            "middle; each command has a timeout, after which it is killed and the shell restarted."
        ),
        "parameters": {
            "type": "object",
            "properties": {"command": {"type": "string", "description": "The bash command(s) to run."}},
            "required": ["command"],
        },
    },
}

_EOF = "EOF"  # what _read returns when the shell has exited
_SLACK = 1 << 16  # bytes kept beyond head + tail while reading, so the sentinel line is never cut


@dataclass
class BashResult:
    output: str
    exit_code: int | None  # None when the command timed out
    note: str = ""  # what happened to the shell, if anything

    def render(self) -> str:
        parts = [self.output if self.output else "(no output)"]
        if self.exit_code is not None:
            parts.append(f"[exit code {self.exit_code}]")
        if self.note:
            parts.append(f"[{self.note}]")
        return "\n".join(parts)


class BashSession:
    def __init__(self, cwd: Path, timeout: float = 120.0, max_output: int = 16_000,
                 env: Mapping[str, str] | None = None) -> None:
        self.timeout = timeout
        self.cwd = str(cwd)
        self._half = max_output // 2
        self._env = dict(os.environ if env is None else env)
        self._scripts = tempfile.mkdtemp(prefix="dgm-bash-")
        self._marker = f"__DGM_DONE_{uuid.uuid4().hex}__".encode()
        self._proc: subprocess.Popen | None = None
        self._start()

    def _start(self) -> None:
        self._proc = subprocess.Popen(
            ["bash", "--noprofile", "--norc"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, cwd=self.cwd, env=self._env, start_new_session=True,
        )

    def _kill(self) -> None:
        if self._proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._proc.pid, signal.SIGKILL)
        self._proc.wait()
        for stream in (self._proc.stdin, self._proc.stdout):
            stream.close()
        self._proc = None

    def close(self) -> None:
        self._kill()
        shutil.rmtree(self._scripts, ignore_errors=True)

    def run(self, command: str, timeout: float | None = None) -> BashResult:
        timeout = self.timeout if timeout is None else timeout
        if self._proc is None:
            self._start()
        script = Path(self._scripts, "command.sh")
        script.write_text(command + "\n", encoding="utf-8")
        line = (f"source {shlex.quote(str(script))} </dev/null 2>&1; "
                f"printf '\\n{self._marker.decode()} %s %s\\n' \"$?\" \"$PWD\"\n")
        try:
            self._proc.stdin.write(line.encode())
            self._proc.stdin.flush()
        except BrokenPipeError:
            return self._restarted(b"", 0, "the shell had exited; a new shell was started, run the command again")
        data, cut, sentinel = self._read(time.monotonic() + timeout)
        if sentinel is None:
            self._kill()
            return self._restarted(data, cut, f"command timed out after {timeout:g} s and was killed with "
                                              "everything it started", exit_code=None)
        if sentinel == _EOF:
            code = self._proc.wait()
            self._kill()
            return self._restarted(data, cut, f"the shell exited with code {code} (exit, exec or set -e?)",
                                   exit_code=code)
        code, _, cwd = sentinel.partition(" ")
        self.cwd = cwd or self.cwd
        return BashResult(self._format(data, cut), int(code) if code.lstrip("-").isdigit() else None)

    def _restarted(self, data: bytes, cut: int, what: str, exit_code: int | None = None) -> BashResult:
        self._start()
        note = f"{what}; a new shell was started in {self.cwd} (variables set earlier are lost)"
        return BashResult(self._format(data, cut), exit_code, note)

    def _read(self, deadline: float) -> tuple[bytes, int, str | None]:
        """Output until the sentinel, keeping only its head and tail; the sentinel's text (exit code and cwd),
        or None on timeout, or _EOF when the shell died."""
        fd = self._proc.stdout.fileno()
        data = bytearray()
        cut = 0
        start = -1
        while True:
            if start >= 0:
                end = data.find(b"\n", start + len(self._marker))
                if end >= 0:
                    sentinel = data[start + len(self._marker) + 1:end].decode(errors="replace")
                    output = bytes(data[:max(0, start - 1)])  # -1: the newline printf adds
                    return output[:-1] if output.endswith(b"\n") else output, cut, sentinel
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                if time.monotonic() >= deadline:
                    return bytes(data), cut, None
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return bytes(data), cut, _EOF
            data += chunk
            if start < 0:
                start = data.find(self._marker, max(0, len(data) - len(chunk) - len(self._marker)))
            excess = len(data) - 2 * self._half - _SLACK
            if start < 0 and excess > 0:
                del data[self._half:self._half + excess]
                cut += excess

    def _format(self, data: bytes, cut: int) -> str:
        excess = len(data) - 2 * self._half
        if excess > 0:
            data = data[:self._half] + data[self._half + excess:]
            cut += excess
        if not cut:
            return data.decode(errors="replace")
        head, tail = data[:self._half].decode(errors="replace"), data[self._half:].decode(errors="replace")
        return f"{head}\n[... {cut} bytes of output cut ...]\n{tail}"
