"""Public pages about trials. No login; never a restricted field."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from .models import Deployment, State

PUBLIC_STATES = (State.APPROVED, State.SUSPENDED, State.COMPLETED, State.REPORT_PUBLISHED)


def _public() -> object:
    return (
        Deployment.objects.published()
        .filter(state__in=PUBLIC_STATES)
        .select_related("site__area", "use_case")
    )


def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    trials = _public()
    context = {
        "live": trials.filter(state=State.APPROVED, starts_at__lte=now, ends_at__gt=now),
        "upcoming": trials.filter(state=State.APPROVED, starts_at__gt=now).order_by("starts_at")[
            :10
        ],
        "recent": trials.exclude(state=State.APPROVED).order_by("-ends_at")[:10],
    }
    return render(request, "public/home.html", context)


def trial_list(request: HttpRequest) -> HttpResponse:
    return render(request, "public/trial_list.html", {"trials": _public().order_by("-starts_at")})


def trial_detail(request: HttpRequest, reference: str) -> HttpResponse:
    trial = get_object_or_404(_public(), reference=reference)
    return render(request, "public/trial_detail.html", {"trial": trial})
