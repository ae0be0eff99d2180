"""Every notice and its PDF say what happens to a face and how to complain; every page's and
every PDF's footer names the force as data controller; the privacy notice and the
accessibility statement are one click from any page."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from django.urls import reverse
from pypdf import PdfReader

from public import services as ps
from public.models import ReportPdf

from .. import factories
from .conftest import approved, reported

pytestmark = pytest.mark.django_db

FORCE = {
    "OVERSIGHT_FORCE_NAME": "Borsetshire Constabulary",
    "OVERSIGHT_FORCE_ADDRESS": "Police HQ, Borchester BO1 1AA",
    "OVERSIGHT_FORCE_DPO_EMAIL": "dpo@borsetshire.police.example",
    "OVERSIGHT_FORCE_COMPLAINTS_URL": "https://borsetshire.police.example/complain",
    "OVERSIGHT_FORCE_ACCESSIBILITY_EMAIL": "access@borsetshire.police.example",
}


@pytest.fixture
def force(settings: Any) -> dict[str, str]:
    for name, value in FORCE.items():
        setattr(settings, name, value)
    settings.OVERSIGHT_ALERT_CROP_RETENTION_DAYS = 17
    settings.OVERSIGHT_WATCHLIST_RETENTION_HOURS = 9
    return FORCE


def assert_footer(html: str) -> None:
    footer = html.split('class="force-footer"')[1]
    assert "Borsetshire Constabulary</strong> is the data controller" in footer
    assert "Police HQ, Borchester BO1 1AA" in footer
    assert 'href="mailto:dpo@borsetshire.police.example"' in footer
    assert 'href="https://borsetshire.police.example/complain"' in footer
    assert f'href="{reverse("public:privacy")}"' in footer
    assert f'href="{reverse("public:accessibility")}"' in footer


@pytest.mark.parametrize(
    "name", ["public:home", "public:trial_list", "public:privacy", "public:accessibility"]
)
def test_every_public_page_has_the_force_footer(client: Any, force: Any, name: str):
    assert_footer(client.get(reverse(name)).content.decode())


def test_staff_pages_have_the_force_footer_too(client: Any, force: Any):
    client.force_login(factories.make_user("someone_on_staff", factories.Role.PLANNER))
    assert_footer(client.get(reverse("staff:dashboard")).content.decode())


def test_a_notice_says_what_happens_to_a_face_and_how_to_complain(
    client: Any, force: Any, actors: Any, documents: Any
):
    trial = approved(actors)
    html = client.get(trial.get_public_url()).content.decode()
    rights = html.split('id="rights-h"')[1].split("</section>")[0]
    assert "deleted at once" in rights
    assert "kept for 17 days and then deleted" in rights
    assert "within 9 hours of the end of the trial" in rights
    assert (
        "Borsetshire Constabulary, Police HQ, Borchester BO1 1AA, is the data controller" in rights
    )
    assert "mailto:dpo@borsetshire.police.example" in rights
    assert "subject access request" in rights and trial.reference in rights
    assert 'href="https://borsetshire.police.example/complain"' in rights
    assert "Independent Office for Police Conduct (IOPC)" in rights
    assert "Information Commissioner's Office (ICO)" in rights


def test_the_report_pdf_carries_the_rights_and_the_footer(force: Any, actors: Any, documents: Any):
    trial = reported(actors)
    stored = ps.report_pdf_refresh(kind=ReportPdf.Kind.TRIAL, key=trial.reference)
    assert stored is not None
    with stored.file.storage.open(stored.file.name or "", "rb") as handle:
        reader = PdfReader(BytesIO(handle.read()))
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert "Your face and your rights" in text
    assert "kept for 17 days" in text
    assert "Borsetshire Constabulary is the data controller" in text
    assert "dpo@borsetshire.police.example" in text
    assert "borsetshire.police.example/complain" in text
    assert "Privacy notice: " in text and "/privacy/" in text


def test_the_privacy_notice_and_accessibility_statement(client: Any, force: Any):
    privacy = client.get(reverse("public:privacy")).content.decode()
    assert (
        "Borsetshire Constabulary, Police HQ, Borchester BO1 1AA, is the data controller" in privacy
    )
    assert "kept for 17 days" in privacy and "within 9 hours" in privacy
    assert "csrftoken" in privacy and "subject access request" in privacy
    statement = client.get(reverse("public:accessibility")).content.decode()
    assert "WCAG) version 2.2 at level AA" in statement
    assert "mailto:access@borsetshire.police.example" in statement
    assert "Equality Advisory and Support Service" in statement


def test_check_deploy_warns_while_the_force_details_are_the_examples(settings: Any):
    from django.core.checks import run_checks

    ids = {m.id for m in run_checks(include_deployment_checks=True)}
    assert "oversight.W001" in ids
    for name, value in FORCE.items():
        setattr(settings, name, value)
    assert "oversight.W001" not in {m.id for m in run_checks(include_deployment_checks=True)}
