"""Split a list of items into numbered pages (1-based)."""
from dataclasses import dataclass


@dataclass
class Page:
    number: int
    items: list
    total_pages: int

    @property
    def has_next(self) -> bool:
        return self.number < self.total_pages

    @property
    def has_prev(self) -> bool:
        return self.number > 1


def page_count(total: int, per_page: int) -> int:
    if per_page <= 0:
        raise ValueError("per_page must be positive")
    return max(1, -(-total // per_page))


def paginate(items: list, page: int, per_page: int) -> Page:
    pages = page_count(len(items), per_page)
    if page < 1 or page > pages:
        raise ValueError(f"page {page} out of range 1..{pages}")
    start = (page - 1) * per_page
    return Page(page, items[start:start + per_page], pages)
