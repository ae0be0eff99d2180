"""Builders for the register's objects, used by the tests of every app.

They go through the services, so a deployment built here has the audit trail and object
permissions a real one would have.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from core.roles import Role, ensure_role_groups
from deployments import services as ds
from deployments.models import Area, Deployment, Review, Site
from legal import services as ls
from legal.models import Document, UseCase, WatchlistCategory

_serial = count(1)


def make_user(username: str, *roles: Role, password: str = "pw-for-tests-only") -> Any:  # noqa: S107
    ensure_role_groups()
    user = get_user_model().objects.create_user(
        username=username, password=password, first_name=username.title()
    )
    user.groups.add(*Group.objects.filter(name__in=[r.value for r in roles]))
    return user


def publish_documents(by: Any, kinds: tuple[str, ...] | None = None) -> dict[str, Any]:
    versions = {}
    for kind in kinds or [k for k, _ in Document.Kind.choices]:
        document, _ = Document.objects.get_or_create(kind=kind, defaults={"title": kind})
        version = ls.document_version_draft(
            document=document, title=f"{kind} v", body=f"Text of {kind}.", change_summary="", by=by
        )
        versions[kind] = ls.document_version_publish(version=version, by=by)
    return versions


def make_use_case(clause: str = "2.3(a)") -> UseCase:
    use_case, _ = UseCase.objects.get_or_create(
        clause=clause,
        defaults={
            "title": "Crime hotspot",
            "description": "Wanted people where serious crime is concentrated.",
            "allowed_categories": [
                WatchlistCategory.WANTED_BY_COURT,
                WatchlistCategory.WANTED_SUSPECT,
            ],
        },
    )
    return use_case


def make_site(name: str | None = None, *, area_code: str = "E09000033", **extra: Any) -> Site:
    area, _ = Area.objects.get_or_create(
        code=area_code, defaults={"name": f"Area {area_code}", "population": 200_000}
    )
    site = Site.objects.create(
        name=name or f"Site {next(_serial)}",
        area=area,
        latitude=Decimal("51.5"),
        longitude=Decimal("-0.12"),
        footfall_per_hour=extra.pop("footfall_per_hour", 1000),
        **extra,
    )
    site.use_cases.add(make_use_case())
    return site


def request_data(*, start: datetime | None = None, hours: int = 6, **extra: Any) -> dict[str, Any]:
    start = start or timezone.now() + timedelta(days=2)
    data: dict[str, Any] = {
        "site": make_site(),
        "use_case": make_use_case(),
        "starts_at": start,
        "ends_at": start + timedelta(hours=hours),
        "purpose": "Locate wanted people.",
        "necessity": "Other searches failed.",
        "proportionality": "Short, overt, small watchlist.",
        "alternatives_considered": "Patrols.",
        "intelligence_case": "Restricted intelligence.",
        "watchlist_categories": [WatchlistCategory.WANTED_BY_COURT],
        "watchlist_criteria": "People with live warrants.",
        "watchlist_size_cap": 100,
        "match_threshold": Decimal("0.500"),
        "site_selection_rationale": "Reports concentrate here.",
        "community_engagement_plan": "Leaflets and a ward briefing.",
        "expected_faces": 6000,
    }
    data.update(extra)
    return data


def make_draft(planner: Any, **extra: Any) -> Deployment:
    return ds.deployment_create(by=planner, data=request_data(**extra))


def to_submitted(deployment: Deployment, planner: Any) -> Deployment:
    return ds.deployment_submit(deployment=deployment, by=planner)


def to_authorised(deployment: Deployment, planner: Any, authoriser: Any) -> Deployment:
    to_submitted(deployment, planner)
    ds.deployment_authorise(deployment=deployment, by=authoriser, statement="Necessary.")
    deployment.refresh_from_db()
    return deployment


def record_approvals(deployment: Deployment, chair: Any, *reviewers: Any) -> None:
    for reviewer in reviewers:
        if not deployment.assignments.filter(reviewer=reviewer).exists():
            ds.review_assign(deployment=deployment, reviewer=reviewer, by=chair)
        ds.review_record(
            deployment=deployment,
            reviewer=reviewer,
            decision=Review.Decision.APPROVE,
            reasons="Fine.",
        )


def give_watchlist(deployment: Deployment, *, entries: int = 1, seed: int = 0) -> list[Any]:
    """Enrolled watchlist entries with synthetic encodings, made through the ORM: the chair's
    sign-off needs a watchlist, and most tests need no face image to have one."""
    from matching.models import Watchlist, WatchlistEntry
    from matching.samples import synthetic_encodings

    watchlist, _ = Watchlist.objects.get_or_create(deployment=deployment)
    categories = deployment.watchlist_categories or deployment.use_case.allowed_categories
    made = []
    for index, encoding in enumerate(synthetic_encodings(entries, seed=seed + deployment.pk)):
        made.append(
            WatchlistEntry.objects.create(
                watchlist=watchlist,
                subject_reference=f"SYN-{deployment.pk}-{seed}-{index + 1}",
                category=categories[0],
                image_provenance="Synthetic encoding made by the tests; no image.",
                legal_basis="Test data.",
                added_by=deployment.created_by,
                encoding=encoding.astype("<f8").tobytes(),
                status=WatchlistEntry.Status.ENROLLED,
                enrolled_at=timezone.now(),
            )
        )
    return made


def to_approved(deployment: Deployment, actors: Any) -> Deployment:
    to_authorised(deployment, actors.planner, actors.authoriser)
    record_approvals(deployment, actors.chair, actors.panel_a, actors.panel_b)
    from matching.models import WatchlistEntry

    if not WatchlistEntry.objects.filter(
        watchlist__deployment=deployment, status__in=WatchlistEntry.ACTIVE
    ).exists():
        give_watchlist(deployment)
    ds.deployment_sign_off(deployment=deployment, by=actors.chair, statement="Approved.")
    deployment.refresh_from_db()
    return deployment


def backdate(deployment: Deployment, shift: timedelta) -> Deployment:
    """Move a deployment's times into the past (tests only; the services forbid it)."""
    fields = ("starts_at", "ends_at", "submitted_at", "approved_at", "notice_published_at")
    values = {f: getattr(deployment, f) - shift for f in fields if getattr(deployment, f)}
    Deployment.objects.filter(pk=deployment.pk).update(**values)
    deployment.refresh_from_db()
    return deployment


def give_authenticator_app(user: Any, *, key: str = "") -> Any:
    """A confirmed authenticator app (TOTP) for `user`; its codes come from `totp_code`."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        fields: dict[str, Any] = {"user": user, "name": "Authenticator app", "confirmed": True}
        if key:
            fields["key"] = key
        device = TOTPDevice.objects.create(**fields)
    return device


def totp_code(device: Any, *, step_offset: int = 0) -> str:
    """The code the person's authenticator app shows now (RFC 6238, as the app computes it)."""
    import time

    from django_otp.oath import TOTP

    generator = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    generator.time = time.time() + step_offset * device.step
    return f"{generator.token():0{device.digits}d}"


def datetime_boxes(name: str, moment: Any) -> dict[str, str]:
    """What a person types into a GOV.UK date input with a time (core/dates.py), in London time."""
    from django.utils import timezone as tz

    local = tz.localtime(moment)
    return {
        f"{name}_{part}": str(getattr(local, part))
        for part in ("day", "month", "year", "hour", "minute")
    }


def make_camera(
    deployment: Deployment,
    *,
    label: str = "Camera 1, north exit",
    position: str = "On the lamp post outside the station, facing the north exit.",
    kind: str = "stream",
    stream_url: str = "rtsp://10.0.0.5/stream1",
    frames_per_second: str = "2",
    by: Any = None,
) -> Any:
    """A camera added by the deployment's planner through the service (before sign-off)."""
    from matching.services import camera_add

    return camera_add(
        deployment=deployment,
        by=by or deployment.created_by,
        label=label,
        position=position,
        kind=kind,
        stream_url=stream_url,
        frames_per_second=frames_per_second,
    )
