"""Load KEY=VALUE files (.env) into a dict."""
import re

_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(raw: str, line_no: int) -> str:
    """Value text after '=' -> the value: quoted forms, or unquoted with an optional ' #' comment."""
    if raw[:1] in ("'", '"'):
        quote = raw[0]
        out, i = [], 1
        while i < len(raw):
            ch = raw[i]
            if quote == '"' and ch == "\\" and i + 1 < len(raw):
                nxt = raw[i + 1]
                out.append(_ESCAPES.get(nxt, "\\" + nxt))
                i += 2
                continue
            if ch == quote:
                rest = raw[i + 1:].strip()
                if rest and not rest.startswith("#"):
                    raise ValueError(f"line {line_no}: unexpected text after quoted value")
                return "".join(out)
            out.append(ch)
            i += 1
        raise ValueError(f"line {line_no}: unterminated quoted value")
    return re.split(r"\s#", raw, maxsplit=1)[0].strip()


def parse_line(line: str, line_no: int = 1):
    """Return (key, value) for one line, or None for blank lines and comments."""
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    if line.startswith("export "):
        line = line[len("export "):].lstrip()
    if "=" not in line:
        raise ValueError(f"line {line_no}: expected KEY=VALUE")
    key, raw = line.split("=", 1)
    return key.strip(), _unquote(raw.strip(), line_no)


def load_env(text: str) -> dict:
    env = {}
    for no, line in enumerate(text.splitlines(), start=1):
        parsed = parse_line(line, no)
        if parsed:
            env[parsed[0]] = parsed[1]
    return env
