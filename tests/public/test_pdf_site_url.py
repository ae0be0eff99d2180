"""A report PDF points to its web version at the configured site address."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from django.utils import timezone
from pypdf import PdfReader

from public import services as ps
from public.models import ReportPdf

from .conftest import reported

pytestmark = pytest.mark.django_db

SITE = "https://lfr-register.example.police.uk"


def text_of(stored: ReportPdf | None) -> str:
    assert stored is not None
    with stored.file.storage.open(stored.file.name or "", "rb") as handle:
        reader = PdfReader(BytesIO(handle.read()))
    return "".join(page.extract_text() for page in reader.pages).replace("\n", "")


def test_the_pdfs_link_to_the_configured_site(settings: Any, actors: Any, documents: Any):
    settings.SITE_URL = SITE
    trial = reported(actors)
    trial_pdf = ps.report_pdf_refresh(kind=ReportPdf.Kind.TRIAL, key=trial.reference)
    assert f"{SITE}{trial.get_public_url()}" in text_of(trial_pdf)
    year = str(timezone.localtime(trial.starts_at).year)
    annual_pdf = ps.report_pdf_refresh(kind=ReportPdf.Kind.ANNUAL, key=year)
    assert f"{SITE}/reports/{year}/" in text_of(annual_pdf)
    assert "127.0.0.1" not in text_of(trial_pdf) + text_of(annual_pdf)
