"""Standard-shaped records of the live facial recognition tool, generated from the register.

- The UK Algorithmic Transparency Recording Standard (ATRS): tier 1 (what the tool is and who to
  ask) and tier 2 (who owns it, how it is used in decisions, its data, its impact assessments,
  its risks and their mitigations). Schema: docs/schemas/atrs-record.schema.json.
- The EU AI Act (Regulation (EU) 2024/1689), Annex VIII section C: what a deployer of a
  high-risk AI system registers under Article 49(3). Schema:
  docs/schemas/ai-act-annex-viii-c.schema.json.

Every figure, limit and link is read from the register and the settings in force when the
record is built, so the record cannot drift from what the register enforces.
"""

from __future__ import annotations

import json
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone

from core.force import force_details
from deployments.models import Deployment, State
from legal.models import Document, DocumentVersion, UseCase
from legal.selectors import current_versions

SCHEMAS = Path(settings.BASE_DIR) / "docs" / "schemas"
ATRS_SCHEMA = SCHEMAS / "atrs-record.schema.json"
AI_ACT_SCHEMA = SCHEMAS / "ai-act-annex-viii-c.schema.json"
SCHEMA_FILES = {"atrs-record": ATRS_SCHEMA, "ai-act-annex-viii-c": AI_ACT_SCHEMA}
TOOL_NAME = "Live facial recognition (LFR)"


def as_json(record: dict[str, Any]) -> bytes:
    return json.dumps(record, indent=2, ensure_ascii=False).encode("utf-8")


def _url(path: str) -> str:
    return settings.SITE_URL + path


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _dlib_version() -> str:
    # The prebuilt dlib-bin, or dlib itself once `make engine-fast` has put its OpenBLAS build
    # in dlib-bin's place: the same release either way.
    version = _version("dlib-bin")
    return _version("dlib") if version == "not installed" else version


def _summary(version: DocumentVersion, limit: int = 600) -> str:
    """A version's opening paragraph, cut at a word boundary."""
    first = version.body.strip().split("\n\n", 1)[0].strip()
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0] + "…"


def _assessment(version: DocumentVersion) -> dict[str, Any]:
    return {
        "name": version.document.title,
        "description": _summary(version),
        "version": version.number,
        "date_published": timezone.localtime(version.published_at).date().isoformat()
        if version.published_at
        else None,
        "url": _url(version.get_absolute_url()),
        "sha256": version.sha256,
    }


def _scale() -> dict[str, int]:
    public = Deployment.objects.public()
    reported = public.filter(state=State.REPORT_PUBLISHED)
    sums = reported.aggregate(
        faces=Sum("outcome__faces_seen"),
        true_c=Sum("outcome__true_alerts_confirmed"),
        true_u=Sum("outcome__true_alerts_unconfirmed"),
        false_c=Sum("outcome__false_alerts_confirmed"),
        false_u=Sum("outcome__false_alerts_unconfirmed"),
    )
    counts = public.aggregate(
        trials=Count("id"), with_results=Count("id", filter=Q(state=State.REPORT_PUBLISHED))
    )
    return {
        "trials_published": counts["trials"],
        "trials_with_results": counts["with_results"],
        "faces_seen_in_trials_with_results": sums["faces"] or 0,
        "alerts_in_trials_with_results": sum(
            sums[k] or 0 for k in ("true_c", "true_u", "false_c", "false_u")
        ),
    }


def atrs_record(at: datetime | None = None) -> dict[str, Any]:
    """The ATRS record of the tool, tiers 1 and 2."""
    at = at or timezone.now()
    force = force_details()
    versions = current_versions()
    use_cases = list(UseCase.objects.order_by("clause"))
    assessments = [
        _assessment(versions[kind])
        for kind in (Document.Kind.DPIA, Document.Kind.EQUALITY_IMPACT)
        if kind in versions
    ]
    quorum = settings.OVERSIGHT_PANEL_QUORUM
    return {
        "standard": "UK Algorithmic Transparency Recording Standard",
        "generated_at": timezone.localtime(at).isoformat(timespec="seconds"),
        "tier_1": {
            "name": TOOL_NAME,
            "description": (
                "Cameras at a published place and time compare the faces of people passing with "
                "a watchlist of people the police are looking for. A possible match raises an "
                "alert that an officer checks before doing anything. A face that matches no one "
                "is deleted at once."
            ),
            "website": _url(reverse("public:home")),
            "contact_email": force["dpo_email"],
            "organisation": force["name"],
            "function": "Law enforcement",
            "phase": "Pilot",
            "geographic_region": "London",
        },
        "tier_2": {
            "owner_and_responsibility": {
                "organisation": force["name"],
                "address": force["address"],
                "data_controller": force["name"],
                "responsibility": (
                    "For each deployment: a planner files the request, an authorising officer "
                    "authorises it as necessary and proportionate, an ethics panel reviews it "
                    f"(at least {quorum} approval{'s' if quorum != 1 else ''}) and the panel's "
                    "chair signs it off. Nobody decides on a request they filed."
                ),
                "external_supplier": None,
                "software": [
                    {"name": "face_recognition", "version": _version("face_recognition")},
                    {"name": "dlib", "version": _dlib_version()},
                ],
            },
            "decision_making_process": {
                "process_integration": (
                    "The tool runs only during a deployment the register says may run: signed "
                    "off, inside its window, not suspended, with its notice published in time "
                    "and its watchlist as approved. Otherwise the engine refuses to match."
                ),
                "information_provided": (
                    "An alert: the face seen, the watchlist entry it resembles and how close "
                    "the match is."
                ),
                "human_decisions_and_review": (
                    "No decision is automated. An officer checks every alert and decides "
                    "whether to act; the decision and its outcome are recorded, and the "
                    "numbers are published in each trial's results."
                ),
                "frequency_and_scale": _scale(),
                "use_cases": [
                    {
                        "title": u.title,
                        "clause": u.clause,
                        "description": u.description,
                        "watchlist_may_include": u.allowed_category_labels(),
                    }
                    for u in use_cases
                ],
                "appeals_and_review": (
                    f"Complaints about how officers acted go to {force['name']} "
                    f"({force['complaints_url']}) and then to the Independent Office for Police "
                    "Conduct; complaints about personal data go to the data protection officer "
                    f"({force['dpo_email']}) and then to the Information Commissioner's Office."
                ),
            },
            "data": {
                "source_data": [
                    {
                        "name": "Watchlist",
                        "description": (
                            "Pictures of the people a deployment looks for, in the categories "
                            "its use case allows, up to the size the panel approved."
                        ),
                        "retention": (
                            f"Deleted within {settings.OVERSIGHT_WATCHLIST_RETENTION_HOURS} "
                            "hours of the end of the deployment."
                        ),
                    },
                    {
                        "name": "Faces seen by the cameras",
                        "description": "Faces of people passing the cameras during a deployment.",
                        "retention": (
                            "A face that matches no one is deleted at once; only a count of "
                            "faces seen is kept. The picture of a face that raised an alert is "
                            f"kept for {settings.OVERSIGHT_ALERT_CROP_RETENTION_DAYS} days "
                            "unless needed as evidence."
                        ),
                    },
                ],
                "limits": {
                    "loosest_match_threshold": settings.OVERSIGHT_MAX_MATCH_THRESHOLD,
                    "largest_watchlist": settings.OVERSIGHT_MAX_WATCHLIST_SIZE,
                    "longest_deployment_hours": settings.OVERSIGHT_MAX_DEPLOYMENT_HOURS,
                    "notice_lead_hours": settings.OVERSIGHT_NOTICE_LEAD_HOURS,
                },
            },
            "impact_assessments": assessments,
            "risks": [
                {
                    "name": "Bias against communities",
                    "description": (
                        "Trials placed where some communities live could scan them more than "
                        "others, and the software could make more mistakes for some groups."
                    ),
                    "mitigations": [
                        "Each request is tested against the census: a group scanned more than "
                        f"{settings.OVERSIGHT_DISPARITY_LIMIT:g} times its share of London's "
                        "population flags the request, which then needs a justification "
                        "and is offered fairer sites.",
                        "The software's error rates by group are tested and published with the "
                        "equality impact assessment.",
                    ],
                    "url": _url(reverse("public:fairness")),
                },
                {
                    "name": "False alerts",
                    "description": "The software can match a person to someone else.",
                    "mitigations": [
                        "The match threshold can be no looser than "
                        f"{settings.OVERSIGHT_MAX_MATCH_THRESHOLD:g}.",
                        "An officer checks every alert before acting.",
                        "False alerts are counted and published for every trial.",
                    ],
                    "url": _url(reverse("public:trial_list")),
                },
                {
                    "name": "Intrusion into privacy",
                    "description": "Everyone who passes the cameras is scanned.",
                    "mitigations": [
                        "A face that matches no one is deleted at once.",
                        "Each trial's notice is published at least "
                        f"{settings.OVERSIGHT_NOTICE_LEAD_HOURS} hours before it starts.",
                        "Deployments last at most "
                        f"{settings.OVERSIGHT_MAX_DEPLOYMENT_HOURS} hours.",
                    ],
                    "url": _url(reverse("public:privacy")),
                },
                {
                    "name": "Use beyond what was approved",
                    "description": "The tool could be run outside an approved deployment.",
                    "mitigations": [
                        "The engine refuses to match unless the register says the deployment "
                        "may run, and every run, alert and decision is in a tamper-evident "
                        "audit trail.",
                    ],
                    "url": _url(reverse("public:legal_index")),
                },
            ],
        },
    }


def ai_act_registration(at: datetime | None = None) -> dict[str, Any]:
    """The registration fields of EU AI Act Annex VIII section C (deployers, Article 49(3))."""
    at = at or timezone.now()
    force = force_details()
    versions = current_versions()
    contact = {"name": force["name"], "address": force["address"], "email": force["dpo_email"]}

    def assessment(kind: str) -> dict[str, Any] | None:
        version = versions.get(kind)
        return _assessment(version) if version is not None else None

    return {
        "regulation": "Regulation (EU) 2024/1689 (Artificial Intelligence Act)",
        "annex": "VIII",
        "section": "C",
        "article": "49(3)",
        "generated_at": timezone.localtime(at).isoformat(timespec="seconds"),
        "ai_system": TOOL_NAME,
        "deployer": contact,
        "submitted_by": contact,
        "provider_database_entry_url": None,
        "provider_database_entry_note": (
            "The force builds the system itself from open-source software, so there is no "
            "separate provider's entry to link to."
        ),
        "fundamental_rights_impact_assessment": assessment(Document.Kind.EQUALITY_IMPACT),
        "fundamental_rights_impact_assessment_note": (
            "The force's equality impact assessment is its assessment of the system's impact "
            "on people's rights."
        ),
        "data_protection_impact_assessment": assessment(Document.Kind.DPIA),
    }
