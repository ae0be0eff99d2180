"""The GOV.UK pagination of long lists: first, last, current and neighbours, gaps marked."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator
from django.template import Context, Template

from core.templatetags.pagination import page_items


@pytest.mark.parametrize(
    ("number", "last", "expected"),
    [
        (1, 1, [1]),
        (1, 2, [1, 2]),
        (1, 40, [1, 2, None, 40]),
        (2, 40, [1, 2, 3, None, 40]),
        (3, 40, [1, 2, 3, 4, None, 40]),
        (5, 40, [1, None, 4, 5, 6, None, 40]),
        (38, 40, [1, None, 37, 38, 39, 40]),
        (40, 40, [1, None, 39, 40]),
        (3, 5, [1, 2, 3, 4, 5]),
    ],
)
def test_the_pages_linked_are_the_first_the_last_and_the_current_with_its_neighbours(
    number: int, last: int, expected: list[int | None]
):
    assert page_items(number, last) == expected


def render(number: int, count: int = 800, query: str = "", fragment: str = "") -> str:
    page = Paginator(range(count), 25).get_page(number)
    template = Template("{% load pagination %}{% pagination page 'Pages of trials' query frag %}")
    return template.render(Context({"page": page, "query": query, "frag": fragment}))


def test_a_middle_page_links_both_ways_and_says_which_page_is_current():
    html = render(5, query="borough=E09000007")
    assert '<nav class="pagination" aria-label="Pages of trials">' in html
    assert 'rel="prev" href="?borough=E09000007&amp;page=4">Previous' in html
    assert 'rel="next" href="?borough=E09000007&amp;page=6">Next' in html
    assert '<span class="visually-hidden"> page</span>' in html
    assert 'href="?borough=E09000007&amp;page=5" aria-label="Page 5" aria-current="page"' in html
    assert html.count('aria-current="page"') == 1
    assert 'aria-label="Page 32">32</a>' in html  # the last of 800 rows, 25 a page
    assert html.count("pagination-ellipsis") == 2
    assert 'aria-label="Page 20"' not in html


def test_the_first_page_has_no_previous_link_and_the_last_no_next():
    assert 'rel="prev"' not in render(1)
    assert 'rel="next"' not in render(32)


def test_a_fragment_is_kept_so_the_reader_lands_on_the_table():
    assert 'href="?page=2#every-h"' in render(1, fragment="every-h")


def test_one_page_needs_no_pagination():
    assert render(1, count=10).strip() == ""
