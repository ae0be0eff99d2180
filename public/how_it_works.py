"""Reads behind /how-it-works/ and its PDF: how the force decides where and when, from the
register's live configuration, so that the explanation is always what the register enforces.

- the settings in force (`rules_in_force`), in plain words, never their names;
- the use cases of the LFR policy, each clause with its title and allowed watchlist categories;
- the gate's conditions, from the gate's own list of reasons (`matching.selectors`);
- the lifecycle, from the register's transition table (`deployments.lifecycle`), drawn here as
  SVG with the same moves listed in words;
- the portfolio's exposure from `fairness.exposure`, and the public record's counts.

`policy_rules()` flattens what the page describes into one dictionary; its fingerprint is what
`public.services.policy_record` compares to notice a change of policy.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from deployments.lifecycle import CLOSED, MAIN_LINE, TRANSITIONS, Transition
from deployments.models import Area, Deployment, State
from deployments.policy import REQUIRED_FIELDS
from legal.models import UseCase
from matching.selectors import GateCondition, gate_conditions

from .models import PublicQuestion


def _plural(n: int | float, unit: str, units: str = "") -> str:
    return f"{n:,} {unit if n == 1 else (units or unit + 's')}"


@dataclass(frozen=True)
class Rule:
    """One setting in force: what it is in plain words, its value as the page says it."""

    words: str
    shown: str
    value: Any


def _reference_name() -> str:
    code = settings.OVERSIGHT_REFERENCE_AREA_CODE
    area = Area.objects.filter(code=code).values_list("name", flat=True).first()
    return area or f"the area with census code {code}"


def rules_in_force() -> dict[str, Rule]:
    """The settings the page describes. Keys are for the record and the audit trail only."""
    quorum = settings.OVERSIGHT_PANEL_QUORUM
    hours = settings.OVERSIGHT_MAX_DEPLOYMENT_HOURS
    threshold = settings.OVERSIGHT_MAX_MATCH_THRESHOLD
    watchlist = settings.OVERSIGHT_MAX_WATCHLIST_SIZE
    lead = settings.OVERSIGHT_NOTICE_LEAD_HOURS
    kept = settings.OVERSIGHT_WATCHLIST_RETENTION_HOURS
    crops = settings.OVERSIGHT_ALERT_CROP_RETENTION_DAYS
    disparity = float(settings.OVERSIGHT_DISPARITY_LIMIT)
    window = settings.OVERSIGHT_EXPOSURE_WINDOW_DAYS
    parity = float(settings.OVERSIGHT_PARITY_RATIO_LIMIT)
    urgent = settings.OVERSIGHT_URGENT_MAX_HOURS
    decision = settings.OVERSIGHT_URGENT_DECISION_HOURS
    return {
        "panel_quorum": Rule(
            "Ethics panel approvals needed before the chair may sign off",
            _plural(quorum, "approval"),
            quorum,
        ),
        "max_deployment_hours": Rule(
            "Longest time one trial may last", _plural(hours, "hour"), hours
        ),
        "max_match_threshold": Rule(
            "Loosest match threshold allowed (the largest difference between two faces that "
            "still counts as a match; a larger number means more false alerts)",
            f"{threshold}",
            threshold,
        ),
        "max_watchlist_size": Rule(
            "Most people one watchlist may hold", _plural(watchlist, "person", "people"), watchlist
        ),
        "notice_lead_hours": Rule(
            "How long the public notice must be published before the cameras may be switched on",
            _plural(lead, "hour"),
            lead,
        ),
        "urgent_max_hours": Rule(
            "Longest an authorising officer may let a trial run in an urgent situation before "
            "the ethics panel's sign-off, with its notice published at once saying why",
            _plural(urgent, "hour"),
            urgent,
        ),
        "urgent_decision_hours": Rule(
            "When the ethics panel's decision on urgent use is due; if it refuses, or does not "
            "decide in time, the cameras stop and everything from the urgent use is deleted",
            f"within {_plural(decision, 'hour')}",
            decision,
        ),
        "watchlist_retention_hours": Rule(
            "When the watchlist's images and face templates are deleted after a trial ends",
            f"within {_plural(kept, 'hour')}",
            kept,
        ),
        "alert_crop_retention_days": Rule(
            "When the image of a face that raised an alert is deleted, unless it is evidence",
            f"after {_plural(crops, 'day')}",
            crops,
        ),
        "disparity_limit": Rule(
            "Highest fair share: how many times its share of residents any ethnic group may be "
            "scanned across the force's trials before a new site is flagged",
            f"{disparity:.2f} times",
            disparity,
        ),
        "exposure_window_days": Rule(
            "The trials counted in that comparison: those approved in the last",
            _plural(window, "day"),
            window,
        ),
        "reference_area": Rule(
            "The population the trials are compared with",
            _reference_name(),
            settings.OVERSIGHT_REFERENCE_AREA_CODE,
        ),
        "parity_ratio_limit": Rule(
            "How far apart the system's false match rates for different groups may be before a "
            "looser threshold needs a written justification (the worst group's rate against the "
            "best group's)",
            f"{parity:.2f} times",
            parity,
        ),
    }


# --- the use cases ---------------------------------------------------------------------------
def use_cases_in_force() -> list[UseCase]:
    """The LFR policy's use cases that are in force, with the law each rests on: two queries."""
    return list(UseCase.objects.filter(is_active=True).prefetch_related("instruments"))


# --- the lifecycle ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Move:
    """One move of the lifecycle in words, for the text alternative to the diagram."""

    source: str
    target: str
    who: str
    words: str

    @property
    def sentence(self) -> str:
        return f"From “{self.source}” to “{self.target}”: {self.who} {self.words}."


def lifecycle_moves() -> list[Move]:
    moves = []
    for t in TRANSITIONS:
        target = "where it was before" if t.target is None else State(t.target).label
        for source in t.sources:
            moves.append(Move(State(source).label, target, t.who, t.words))
    return moves


# Layout of the diagram: the main line across the middle, suspension above it, the other
# detours below. A state the
# layout does not know yet (added to the register later) is placed in the next free slot.
_COL_W, _ROW_H, _BOX_W, _BOX_H, _PAD = 160, 124, 136, 48, 12
_PLACES: dict[str, tuple[float, int]] = {
    State.SUSPENDED: (3.5, -1),
    State.WITHDRAWN: (0.0, 1),
    State.RETURNED: (1.5, 1),
    State.REJECTED: (2.75, 1),
}
INK, MUTED, MAIN, DETOUR, STOP = "#0b0c0c", "#505a5f", "#1d70b8", "#505a5f", "#b3261e"


def _positions() -> dict[str, tuple[float, float]]:
    states: list[str] = [s.value for s in MAIN_LINE]
    for t in TRANSITIONS:
        for state in (*t.sources, t.target):
            if state is not None and state.value not in states:
                states.append(state.value)
    places: dict[str, tuple[float, int]] = {s.value: (float(i), 0) for i, s in enumerate(MAIN_LINE)}
    spare = 0
    for name in states:
        if name in places:
            continue
        if name in _PLACES:
            places[name] = _PLACES[name]
        else:
            places[name] = (float(spare), 2)
            spare += 1
    top = min(row for _, row in places.values())
    return {
        s: (_PAD + col * _COL_W + _BOX_W / 2, _PAD + (row - top) * _ROW_H + _BOX_H / 2)
        for s, (col, row) in places.items()
    }


def _edge_end(x: float, y: float, towards_x: float, towards_y: float) -> tuple[float, float]:
    """Where the line from a box's centre towards a point leaves the box."""
    dx, dy = towards_x - x, towards_y - y
    if dx == 0 and dy == 0:
        return x, y
    scale = min(
        (_BOX_W / 2 + 3) / abs(dx) if dx else math.inf,
        (_BOX_H / 2 + 3) / abs(dy) if dy else math.inf,
    )
    return x + dx * scale, y + dy * scale


def _edges() -> list[tuple[str, str, Transition]]:
    edges: list[tuple[str, str, Transition]] = []
    for t in TRANSITIONS:
        for source in t.sources:
            # Lifting a suspension returns to the state it interrupted: one arrow back to each.
            if t.target is not None:
                targets = [t.target.value]
            else:
                targets = [s.value for u in TRANSITIONS if u.target == source for s in u.sources]
            edges.extend((source.value, target, t) for target in targets)
    return edges


def lifecycle_svg() -> SafeString:
    """The lifecycle drawn from the register's transition table, with a title and description."""
    places = _positions()
    edges = _edges()
    pairs = {(a, b) for a, b, _ in edges}
    parts: list[str] = []
    for source, target, t in edges:
        (x1, y1), (x2, y2) = places[source], places[target]
        # Two arrows between the same pair of states are drawn side by side, not on top.
        if (target, source) in pairs:
            length = math.hypot(x2 - x1, y2 - y1) or 1
            off_x, off_y = -(y2 - y1) / length * 7, (x2 - x1) / length * 7
            x1, y1, x2, y2 = x1 + off_x, y1 + off_y, x2 + off_x, y2 + off_y
        sx, sy = _edge_end(x1, y1, x2, y2)
        ex, ey = _edge_end(x2, y2, x1, y1)
        on_main = source in MAIN_LINE and target in MAIN_LINE
        colour = MAIN if on_main else (STOP if target in (*CLOSED, State.SUSPENDED) else DETOUR)
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" '
                'stroke-width="{}"{} marker-end="url(#lc-arrow-{})"/>',
                _n(sx),
                _n(sy),
                _n(ex),
                _n(ey),
                colour,
                "2.5" if on_main else "1.5",
                mark_safe(' stroke-dasharray="5 4"') if t.target is None else "",
                colour.lstrip("#"),
            )
        )
    for state, (x, y) in places.items():
        label = State(state).label
        lines = _wrap(label, 18)
        main = state in MAIN_LINE
        texts = "".join(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle" font-size="13" fill="{}"{}>{}</text>',
                _n(x),
                _n(y + 5 + (i - (len(lines) - 1) / 2) * 15),
                INK,
                mark_safe(' font-weight="700"') if main else "",
                line,
            )
            for i, line in enumerate(lines)
        )
        parts.append(
            format_html(
                '<g><rect x="{}" y="{}" width="{}" height="{}" rx="6" fill="{}" '
                'stroke="{}" stroke-width="{}"/>{}</g>',
                _n(x - _BOX_W / 2),
                _n(y - _BOX_H / 2),
                _BOX_W,
                _BOX_H,
                "#ffffff",
                MAIN if main else MUTED,
                "2" if main else "1.5",
                mark_safe(texts),  # noqa: S308 - built with format_html
            )
        )
    markers = "".join(
        format_html(
            '<marker id="lc-arrow-{}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
            'fill="{}"/></marker>',
            colour.lstrip("#"),
            colour,
        )
        for colour in (MAIN, DETOUR, STOP)
    )
    width = max(x for x, _ in places.values()) + _BOX_W / 2 + _PAD
    height = max(y for _, y in places.values()) + _BOX_H / 2 + _PAD
    desc = (
        f"{len(places)} states and {len(edges)} moves between them. The main line runs "
        + ", then ".join(State(s).label for s in MAIN_LINE)
        + ". Every move is listed in words after the diagram."
    )
    return format_html(
        '<svg class="chart lifecycle" xmlns="http://www.w3.org/2000/svg" role="img" '
        'viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        'aria-labelledby="lifecycle-t lifecycle-d">'
        '<title id="lifecycle-t">The life of a trial request, from draft to published results'
        '</title><desc id="lifecycle-d">{desc}</desc><defs>{markers}</defs>{parts}</svg>',
        w=f"{width:.0f}",
        h=f"{height:.0f}",
        desc=desc,
        markers=mark_safe(markers),  # noqa: S308 - built with format_html
        parts=mark_safe("".join(parts)),  # noqa: S308 - each part built with format_html
    )


def _n(value: float) -> str:
    return f"{value:.1f}"


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


# --- the public record's counts -------------------------------------------------------------
def engagement_counts() -> dict[str, int]:
    """Questions asked, answered and removed, and notices published: two queries."""
    questions = PublicQuestion.objects.aggregate(
        asked=Count("pk"),
        answered=Count("pk", filter=Q(status=PublicQuestion.Status.PUBLISHED)),
        removed=Count("pk", filter=Q(status=PublicQuestion.Status.REMOVED)),
        waiting=Count("pk", filter=Q(status=PublicQuestion.Status.PENDING)),
    )
    return {**questions, "notices": Deployment.objects.public().count()}


# --- what the page describes, as one record -------------------------------------------------
def policy_rules() -> dict[str, dict[str, str]]:
    """Everything the page states as a rule, flattened: {name: {"words", "value"}}.

    Settings, the gate's conditions, the lifecycle's moves and the use cases in force: a
    change to any of them is a change of the policy the page explains.
    """
    rules: dict[str, dict[str, str]] = {
        f"setting:{key}": {"words": rule.words, "value": rule.shown}
        for key, rule in rules_in_force().items()
    }
    for condition in gate_conditions():
        rules[f"gate:{condition.code}"] = {
            "words": "What stops the engine",
            "value": condition.words,
        }
    for move in lifecycle_moves():
        rules[f"lifecycle:{move.source}->{move.target}:{move.who}"] = {
            "words": "A move in the life of a request",
            "value": move.sentence,
        }
    for use_case in use_cases_in_force():
        rules[f"use_case:{use_case.clause}"] = {
            "words": f"Use case {use_case.clause} {use_case.title}",
            "value": f"{use_case.title}: {use_case.description} Watchlist: "
            + "; ".join(use_case.allowed_category_labels()),
        }
    return rules


def policy_fingerprint(rules: dict[str, dict[str, str]]) -> str:
    canonical = json.dumps(rules, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def rules_changed(
    old: dict[str, dict[str, str]], new: dict[str, dict[str, str]]
) -> list[dict[str, str]]:
    """What changed between two records, one entry per rule: old value -> new value."""
    changes = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        changes.append(
            {
                "rule": name,
                "words": (after or before or {}).get("words", ""),
                "from": before["value"] if before else "(none)",
                "to": after["value"] if after else "(removed)",
            }
        )
    return changes


def how_it_works_context() -> dict[str, Any]:
    """What the page and its PDF render (the same include). Records a change of policy first."""
    from fairness.exposure import portfolio_exposure

    from .services import policy_record

    record = policy_record()
    rules = rules_in_force()
    conditions: list[GateCondition] = gate_conditions()
    return {
        "rules": rules,
        "rule_list": list(rules.values()),
        "use_cases": use_cases_in_force(),
        "gate_conditions": conditions,
        "lifecycle_svg": lifecycle_svg(),
        "moves": lifecycle_moves(),
        # The planner's checklist, with the policy's name spelt out for the public.
        "required_parts": [
            part.replace("LFR policy", "live facial recognition policy")
            for part in REQUIRED_FIELDS.values()
        ],
        "portfolio": portfolio_exposure(),
        "counts": engagement_counts(),
        "rules_changed_at": record.changed_at,
    }
