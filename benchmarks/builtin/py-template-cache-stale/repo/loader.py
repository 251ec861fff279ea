"""Template sources, kept in memory (the admin UI edits them)."""


class DictLoader:
    def __init__(self, sources: dict):
        self._sources = dict(sources)

    def source(self, name: str) -> str:
        return self._sources[name]

    def set(self, name: str, source: str) -> None:
        self._sources[name] = source

    def delete(self, name: str) -> None:
        del self._sources[name]
