"""The site: templates that admins can edit while it runs."""
from engine import Engine
from loader import DictLoader


class Site:
    def __init__(self, templates: dict):
        self.loader = DictLoader(templates)
        self.engine = Engine(self.loader)

    def page(self, name: str, **context) -> str:
        return self.engine.render(name, context)

    def update_template(self, name: str, source: str) -> None:
        self.loader.set(name, source)

    def remove_template(self, name: str) -> None:
        self.loader.delete(name)
