"""A tiny template engine: {{ name }} substitution and {% include "other" %}."""
import re

_TOKEN = re.compile(r'\{\{\s*(\w+)\s*\}\}|\{%\s*include\s+"([\w-]+)"\s*%\}')


class Engine:
    def __init__(self, loader):
        self.loader = loader
        self._compiled = {}  # name -> (source it was compiled from, parts)
        self.compile_count = 0

    def compile(self, name: str) -> list:
        """Parts of a template: ("text", s), ("var", name) or ("include", name).

        The cache is keyed on the current source, so an edited or removed template is never served stale.
        """
        try:
            source = self.loader.source(name)
        except KeyError:
            self._compiled.pop(name, None)
            raise
        cached = self._compiled.get(name)
        if cached and cached[0] == source:
            return cached[1]
        self.compile_count += 1
        parts, pos = [], 0
        for m in _TOKEN.finditer(source):
            parts.append(("text", source[pos:m.start()]))
            parts.append(("var", m.group(1)) if m.group(1) else ("include", m.group(2)))
            pos = m.end()
        parts.append(("text", source[pos:]))
        self._compiled[name] = (source, parts)
        return parts

    def render(self, name: str, context: dict) -> str:
        out = []
        for kind, value in self.compile(name):
            if kind == "text":
                out.append(value)
            elif kind == "var":
                out.append(str(context.get(value, "")))
            else:
                out.append(self.render(value, context))
        return "".join(out)
