"""Engine evaluation reports: storing them, reading them, attaching them to an equality impact
assessment.

The Court of Appeal found South Wales Police in breach of the public sector equality duty
because it never checked whether its software was biased by race or sex (R (Bridges) v Chief
Constable of South Wales Police [2020] EWCA Civ 1058). An evaluation report is
that check in numbers (matching/evaluation.py computes it); a legal officer attaches it to a
version of the equality impact assessment so the assessment rests on evidence.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from audit.services import audit_record
from core.errors import NotPermitted, PreconditionsFailed, TransitionNotAllowed
from core.roles import Role, has_role, roles_of
from core.types import User

from .models import Document, DocumentVersion, EngineEvaluation

ATTACHABLE_STATUSES = (DocumentVersion.Status.DRAFT, DocumentVersion.Status.PUBLISHED)


@transaction.atomic
def evaluation_record(
    *,
    manifest_name: str,
    manifest_sha256: str,
    engine_version: str,
    results: dict[str, Any],
    excluded: list[dict[str, Any]],
    by: User | None = None,
) -> EngineEvaluation:
    """Store an evaluation computed by matching/evaluation.py (its ``to_json()``)."""
    parity = results.get("parity_threshold")
    evaluation = EngineEvaluation.objects.create(
        created_by=by if getattr(by, "pk", None) else None,
        manifest_name=manifest_name[:200],
        manifest_sha256=manifest_sha256,
        engine_version=engine_version[:100],
        thresholds=list(results.get("thresholds", [])),
        results=results,
        excluded=excluded,
        parity_threshold=Decimal(str(parity)).quantize(Decimal("0.001"))
        if parity is not None
        else None,
    )
    audit_record(
        actor=by or "evaluate_engine",
        action="evaluation.recorded",
        obj=evaluation,
        details={
            "manifest": manifest_name,
            "manifest_sha256": manifest_sha256,
            "thresholds": evaluation.thresholds,
            "parity_threshold": str(evaluation.parity_threshold),
            "images_encoded": results.get("images_encoded"),
            "images_excluded": len(excluded),
        },
    )
    return evaluation


def check_view_evaluations(user: User) -> None:
    if not roles_of(user):
        raise NotPermitted("Only staff of the register can read engine evaluation reports.")


def check_attach(user: User) -> None:
    if not has_role(user, Role.LEGAL_OFFICER):
        raise NotPermitted(
            "Only legal officers can attach an evaluation to an equality impact assessment."
        )


def attachable_versions() -> QuerySet[DocumentVersion]:
    return DocumentVersion.objects.filter(
        document__kind=Document.Kind.EQUALITY_IMPACT, status__in=ATTACHABLE_STATUSES
    ).select_related("document")


@transaction.atomic
def evaluation_attach(
    *, evaluation: EngineEvaluation, version: DocumentVersion, by: User
) -> EngineEvaluation:
    """Attach a report to an equality impact assessment version. Once attached, it stays."""
    check_attach(by)
    evaluation = EngineEvaluation.objects.select_for_update().get(pk=evaluation.pk)
    version = DocumentVersion.objects.select_related("document").get(pk=version.pk)
    if version.document.kind != Document.Kind.EQUALITY_IMPACT:
        raise PreconditionsFailed(
            {"version": [f"{version} is not a version of the equality impact assessment."]}
        )
    if version.status not in ATTACHABLE_STATUSES:
        raise PreconditionsFailed(
            {
                "version": [
                    f"{version} is {version.get_status_display().lower()}; attach the report to "
                    "the current or a draft version."
                ]
            }
        )
    if evaluation.attached_to_id is not None:
        if evaluation.attached_to_id == version.pk:
            return evaluation
        # The assessment relied on it: moving it would rewrite the record of what it rested on.
        raise TransitionNotAllowed(
            f"This report is already attached to {evaluation.attached_to}. Run a new evaluation "
            "to attach to another version."
        )
    evaluation.attached_to = version
    evaluation.save(update_fields=["attached_to"])
    audit_record(
        actor=by,
        action="evaluation.attached",
        obj=evaluation,
        details={
            "version": version.pk,
            "document": version.document.kind,
            "number": version.number,
        },
    )
    return evaluation
