"""The engagement record in public: on the notice, in its PDF and totalled by borough in the
annual report (and its PDF)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from deployments import services as ds
from deployments.models import EngagementMeeting
from public import services as ps
from public.models import ReportPdf
from public.selectors import annual_report

from .. import factories
from .conftest import OUTCOME, approved
from .test_report_pdfs import pdf_text

pytestmark = pytest.mark.django_db

WARD = {
    "held_on": date(2026, 3, 2),
    "kind": EngagementMeeting.Kind.WARD_PANEL,
    "group_name": "Brixton Hill ward panel",
    "raised": "Worry about stops near the youth centre.",
    "changed": "Cameras moved away from the youth centre entrance.",
}
ADVISORY = {
    "held_on": date(2026, 3, 9),
    "kind": EngagementMeeting.Kind.ADVISORY_GROUP,
    "group_name": "Lambeth independent advisory group",
    "raised": "How long alert images are kept.",
    "changed": "The notice now says how long.",
}
COMMUNITY = {
    "held_on": date(2026, 3, 10),
    "kind": EngagementMeeting.Kind.COMMUNITY_GROUP,
    "group_name": "Camden Somali community association",
    "raised": "Whether the watchlist includes immigration cases.",
    "changed": "Nothing changed: it never does; the notice says which categories it holds.",
}


def with_meetings(actors: Any, *meetings: dict[str, Any], **extra: Any) -> Any:
    trial = factories.make_draft(actors.planner, **extra)
    for meeting in meetings:
        ds.engagement_add(deployment=trial, by=actors.planner, data=meeting)
    return factories.to_approved(trial, actors)


def test_the_notice_publishes_each_meeting(actors: Any, documents: Any, client: Any):
    trial = with_meetings(actors, WARD, ADVISORY)
    html = client.get(trial.get_public_url()).content.decode()
    assert "Meetings held with Londoners before the trial" in html
    for meeting in (WARD, ADVISORY):
        for column in ("group_name", "raised", "changed"):
            assert meeting[column] in html
    assert "Safer neighbourhood ward panel: Brixton Hill ward panel" in html
    assert "2 Mar 2026" in html
    # Who typed it in is not published.
    assert (
        actors.planner.get_full_name()
        not in html.split('id="engagement-h"')[1].split("</table>")[0]
    )


def test_a_notice_without_meetings_says_so(actors: Any, documents: Any, client: Any):
    trial = approved(actors)
    html = client.get(trial.get_public_url()).content.decode()
    assert "No meetings with ward panels, community groups or independent advisory groups" in html


def test_the_trial_pdf_publishes_the_meetings(actors: Any, documents: Any):
    from datetime import timedelta

    trial = with_meetings(actors, WARD)
    trial = factories.backdate(trial, timedelta(days=5))
    ds.deployment_complete(deployment=trial)
    ds.outcome_record(deployment=trial, by=actors.planner, data=OUTCOME)
    ds.deployment_publish_report(deployment=trial, by=actors.moderator)
    pdf = ps.report_pdf_current(kind=ReportPdf.Kind.TRIAL, key=trial.reference)
    assert pdf is not None
    text = " ".join(pdf_text(pdf.file.read()).split())
    assert "Meetings held with Londoners before the trial" in text
    assert "Brixton Hill ward panel" in text and "youth centre entrance" in text


def test_the_annual_report_totals_meetings_by_borough(actors: Any, documents: Any, client: Any):
    camden = factories.make_site("Camden Market", area_code="E09000007")
    a = with_meetings(actors, WARD, ADVISORY)
    with_meetings(actors, COMMUNITY, site=camden)
    with_meetings(actors, site=camden)
    year = timezone.localtime(a.starts_at).year
    report = annual_report(year)
    assert report is not None
    rows = {row.label: row for row in report.engagement}
    assert a.site is not None
    own = rows[a.site.area.name]
    assert (own.trials, own.trials_with_meetings, own.meetings) == (1, 1, 2)
    assert (own.ward_panel, own.advisory_group, own.community_group) == (1, 1, 0)
    other = rows["Area E09000007"]
    assert (other.trials, other.trials_with_meetings, other.community_group) == (2, 1, 1)
    assert report.engagement[-1].label == "All boroughs"
    assert (report.engagement[-1].meetings, report.engagement[-1].trials) == (3, 3)

    html = client.get(reverse("public:annual_report", args=[year])).content.decode()
    assert "Engagement with Londoners, by borough" in html
    assert "Independent advisory groups" in html
    pdf = ps.report_pdf_current(kind=ReportPdf.Kind.ANNUAL, key=str(year))
    assert pdf is not None
    text = " ".join(pdf_text(pdf.file.read()).split())
    assert "Engagement with Londoners, by borough" in text and "All boroughs" in text
