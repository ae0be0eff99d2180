"""The audit trail's public side: its signed checkpoints, its hash-only chain, the standalone
checker script, and a page that says what they prove (`/open-data/audit/`)."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from audit.selectors import chain_export, checkpoints_document, latest_checkpoint

from . import opendata

VERIFY_SCRIPT = Path(settings.BASE_DIR) / "docs" / "verify_checkpoints.py"


def _json(request: HttpRequest, document: dict[str, object]) -> HttpResponse:
    body = json.dumps(document, indent=1).encode("utf-8")
    return opendata.conditional_response(
        request, body=body, content_type="application/json", last_modified=None
    )


@require_GET
def audit_page(request: HttpRequest) -> HttpResponse:
    document = checkpoints_document()
    return render(
        request,
        "public/audit_checkpoints.html",
        {
            "latest": latest_checkpoint(),
            "count": len(document["checkpoints"]),
            "public_key": document["public_key"],
            "key_id": document["key_id"],
            "interval": settings.AUDIT_CHECKPOINT_MINUTES,
        },
    )


@require_GET
def audit_checkpoints_json(request: HttpRequest) -> HttpResponse:
    return _json(request, checkpoints_document())


@require_GET
def audit_chain_json(request: HttpRequest) -> HttpResponse:
    return _json(request, chain_export())


@require_GET
def audit_verify_script(request: HttpRequest) -> HttpResponse:
    response = opendata.conditional_response(
        request,
        body=VERIFY_SCRIPT.read_bytes(),
        content_type="text/x-python; charset=utf-8",
        last_modified=None,
        filename="verify_checkpoints.py",
    )
    return response
