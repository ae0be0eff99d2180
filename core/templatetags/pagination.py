"""`{% pagination page label %}`: the GOV.UK Design System's pagination for a list's pages.

Previous and next links, the first and last pages, the current page and those beside it, and an
ellipsis for each gap (https://design-system.service.gov.uk/components/pagination/): a reader can
jump to the start or the end of a long list, and a screen reader hears "Page 5, current page".
The links keep the page's other query parameters (its filters) and may end at a fragment.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.core.paginator import Page

register = template.Library()


def page_items(number: int, last: int) -> list[int | None]:
    """The page numbers to link, None where pages are left out: 1 … 4 [5] 6 … 40."""
    shown = sorted({1, last, number - 1, number, number + 1} & set(range(1, last + 1)))
    items: list[int | None] = []
    for index, page in enumerate(shown):
        if index and page - shown[index - 1] > 1:
            items.append(None)
        items.append(page)
    return items


@register.inclusion_tag("includes/pagination.html")
def pagination(page: Page, label: str, query: str = "", fragment: str = "") -> dict[str, Any]:
    def href(number: int) -> str:
        parts = [query] if query else []
        return "?" + "&".join([*parts, f"page={number}"]) + (f"#{fragment}" if fragment else "")

    items = [
        {"number": n, "href": href(n), "current": n == page.number} if n else None
        for n in page_items(page.number, page.paginator.num_pages)
    ]
    return {
        "page": page,
        "label": label,
        "items": items,
        "previous": href(page.previous_page_number()) if page.has_previous() else "",
        "next": href(page.next_page_number()) if page.has_next() else "",
    }
