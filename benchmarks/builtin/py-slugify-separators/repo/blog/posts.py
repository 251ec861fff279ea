"""Posts and their URLs."""
from dataclasses import dataclass

from blog.text import slugify


@dataclass
class Post:
    title: str
    year: int

    @property
    def url(self) -> str:
        return f"/{self.year}/{slugify(self.title)}/"
