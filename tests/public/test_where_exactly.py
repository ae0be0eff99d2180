"""Where exactly: the site's description, a locator map drawn on the server from the borough
boundaries the project ships, and a link to the point on OpenStreetMap."""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree

import pytest

from public.locator import ATTRIBUTION, borough_names, locator_map, openstreetmap_url

from .. import factories
from .conftest import approved

pytestmark = pytest.mark.django_db


def test_the_map_has_every_borough_shades_the_sites_and_marks_the_point():
    svg = locator_map(latitude=51.5154, longitude=-0.1418, area_code="E09000033", place="X")
    root = ElementTree.fromstring(svg)  # noqa: S314  (our own SVG, not untrusted input)
    ns = {"s": "http://www.w3.org/2000/svg"}
    paths = root.findall("s:path", ns)
    assert len(paths) == 33 == len(borough_names())
    shaded = [p for p in paths if p.get("fill") == "#9fc3e6"]
    assert [p.find("s:title", ns).text for p in shaded] == ["Westminster"]  # type: ignore[union-attr]
    assert root.get("role") == "img"
    assert root.find("s:desc", ns).text == (  # type: ignore[union-attr]
        "X is marked with a dot, in Westminster, which is shaded. "
        "The map shows London's 33 boroughs."
    )
    # The dot sits inside Westminster's bounding box, so the projection put it in the right place.
    dot = root.find("s:circle", ns)
    assert dot is not None
    numbers = [int(n) for n in re.findall(r"-?\d+", shaded[0].get("d", ""))]
    xs, ys = numbers[0::2], numbers[1::2]
    assert min(xs) <= int(dot.get("cx", "")) <= max(xs)
    assert min(ys) <= int(dot.get("cy", "")) <= max(ys)
    assert "style=" not in svg and "<script" not in svg


def test_a_notice_shows_where_exactly_with_the_map_link_and_attribution(
    client: Any, actors: Any, documents: Any
):
    site = factories.make_site(
        "Oxford Circus", description="The van stands on Regent Street by the Tube exit."
    )
    trial = approved(actors, site=site)
    html = client.get(trial.get_public_url()).content.decode()
    where = html.split('id="where-h"')[1].split("</section>")[0]
    assert "The van stands on Regent Street by the Tube exit." in where
    assert '<svg class="locator-map"' in where
    assert "Where Oxford Circus is in London" in where
    assert openstreetmap_url(float(site.latitude), float(site.longitude)) in where.replace(
        "&amp;", "&"
    )
    assert ATTRIBUTION.replace("'", "&#x27;") in where or ATTRIBUTION in where
    # The page fetches nothing from elsewhere: no map tiles, no scripts.
    assert "tile.openstreetmap" not in html and '<script src="http' not in html
