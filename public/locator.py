"""A locator map of London drawn on the server as SVG: the 33 boroughs, the site's borough
shaded, the site marked. No tiles, no scripts, nothing fetched at run time.

Boundaries: public/data/london-boroughs.geojson (see ATTRIBUTION, which must be shown with the
map). The projection is equirectangular, scaled by the cosine of London's latitude so that a
kilometre east is as long as a kilometre north; at this size that is as true as any other.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

DATA = Path(__file__).resolve().parent / "data" / "london-boroughs.geojson"
ATTRIBUTION = (
    "Map: GeoJSON and TopoJSON UK Boundary Data by Martin Chorley (CC BY 4.0). Contains "
    "Ordnance Survey data © Crown copyright and database right 2014. Contains National "
    "Statistics data © Crown copyright and database right 2014."
)
WIDTH = 480.0
MARGIN = 6.0


@dataclass(frozen=True)
class Borough:
    code: str
    name: str
    path: str  # SVG path data, in map units


@dataclass(frozen=True)
class Projection:
    west: float
    north: float
    scale: float  # map units per degree of latitude
    cos_lat: float
    height: float

    def point(self, lon: float, lat: float) -> tuple[int, int]:
        x = MARGIN + (lon - self.west) * self.cos_lat * self.scale
        y = MARGIN + (self.north - lat) * self.scale
        return round(x), round(y)


def _rings(geometry: dict) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    return [ring for polygon in geometry["coordinates"] for ring in polygon]


@lru_cache(maxsize=1)
def _base() -> tuple[Projection, tuple[Borough, ...]]:
    features = json.loads(DATA.read_text(encoding="utf-8"))["features"]
    points = [p for f in features for ring in _rings(f["geometry"]) for p in ring]
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    cos_lat = math.cos(math.radians((north + south) / 2))
    scale = (WIDTH - 2 * MARGIN) / ((east - west) * cos_lat)
    projection = Projection(west, north, scale, cos_lat, (north - south) * scale + 2 * MARGIN)
    boroughs = []
    for feature in features:
        parts = []
        for ring in _rings(feature["geometry"]):
            # Points that land on the same unit (a pixel at full size) add bytes, not shape.
            drawn: list[tuple[int, int]] = []
            for lon, lat in ring:
                xy = projection.point(lon, lat)
                if not drawn or drawn[-1] != xy:
                    drawn.append(xy)
            if len(drawn) >= 3:
                parts.append("M" + "L".join(f"{x} {y}" for x, y in drawn) + "Z")
        props = feature["properties"]
        boroughs.append(Borough(props["code"], props["name"], "".join(parts)))
    return projection, tuple(sorted(boroughs, key=lambda b: b.code))


def borough_names() -> dict[str, str]:
    return {b.code: b.name for b in _base()[1]}


def locator_map(*, latitude: float, longitude: float, area_code: str, place: str) -> SafeString:
    """The SVG, with a title and a description that say in words what it shows."""
    projection, boroughs = _base()
    x, y = projection.point(longitude, latitude)
    area_name = borough_names().get(area_code, "")
    description = (
        f"{place} is marked with a dot"
        + (f", in {area_name}, which is shaded." if area_name else ".")
        + " The map shows London's 33 boroughs."
    )
    shapes = format_html_join(
        "",
        '<path d="{}" fill="{}" stroke="#505a5f" stroke-width="0.6"><title>{}</title></path>',
        ((b.path, "#9fc3e6" if b.code == area_code else "#f3f2f1", b.name) for b in boroughs),
    )
    return format_html(
        '<svg class="locator-map" xmlns="http://www.w3.org/2000/svg" role="img" '
        'viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        'aria-labelledby="locator-title locator-desc">'
        '<title id="locator-title">Where {place} is in London</title>'
        '<desc id="locator-desc">{desc}</desc>'
        "{shapes}"
        '<circle cx="{x}" cy="{y}" r="7" fill="#d4351c" stroke="#ffffff" stroke-width="2.5"/>'
        "</svg>",
        w=f"{WIDTH:g}",
        h=f"{projection.height:.1f}",
        place=place,
        desc=description,
        shapes=shapes,
        x=f"{x:g}",
        y=f"{y:g}",
    )


def openstreetmap_url(latitude: float, longitude: float) -> str:
    return (
        f"https://www.openstreetmap.org/?mlat={latitude:.5f}&mlon={longitude:.5f}"
        f"#map=17/{latitude:.5f}/{longitude:.5f}"
    )
