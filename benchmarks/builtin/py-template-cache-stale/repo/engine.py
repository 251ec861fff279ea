"""A tiny template engine: {{ name }} substitution and {% include "other" %}."""
import re

_TOKEN = re.compile(r'\{\{\s*(\w+)\s*\}\}|\{%\s*include\s+"([\w-]+)"\s*%\}')


class Engine:
    def __init__(self, loader):
        self.loader = loader
        self._compiled = {}
        self.compile_count = 0

    def compile(self, name: str) -> list:
        """Parts of a template: ("text", s), ("var", name) or ("include", name)."""
        if name in self._compiled:
            return self._compiled[name]
        self.compile_count += 1
        source = self.loader.source(name)
        parts, pos = [], 0
        for m in _TOKEN.finditer(source):
            parts.append(("text", source[pos:m.start()]))
            parts.append(("var", m.group(1)) if m.group(1) else ("include", m.group(2)))
            pos = m.end()
        parts.append(("text", source[pos:]))
        self._compiled[name] = parts
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
