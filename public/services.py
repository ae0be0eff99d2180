"""Writes behind the public pages: questions from the public, their moderation, and the stored
PDF reports (one per trial with published results, one per year).

Questions: anyone may ask on a published notice (rate-limited per address in the database, so
the limit holds and the question is saved whether or not Redis is up); a moderator publishes a
question with the force's answer or removes it with a reason, and the removal stays visible as a
trace. Every step is in the audit trail; a question's email address is never written there.

PDFs: `report_pdf_refresh` renders the report's HTML from the same includes as the web page,
hashes it, and renders and stores a new PDF only when that hash differs from the stored one's
`source_hash`. The register tells `public.hooks` of each change inside its transaction, which
records a refresh in the outbox (core/outbox.py) in that transaction: it is sent after commit, so
the worker never reads uncommitted rows, a rolled-back change queues nothing, and a refresh
recorded while the broker is down runs once it is back.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from audit.selectors import checkpoint_pdf_metadata
from audit.services import audit_record
from core import outbox
from core.errors import DomainError, NotPermitted, PreconditionsFailed, TransitionNotAllowed
from core.force import force_details
from core.pdf import render_pdf_from_html
from core.ratelimit import rate_limit_hit
from core.roles import Role, has_role
from core.types import User
from deployments.models import Deployment

from .models import PolicyRecord, PublicQuestion, ReportPdf
from .selectors import (
    annual_context,
    annual_report,
    notice_context,
    public_notice,
)

logger = logging.getLogger(__name__)

# Questions one address may ask in an hour. Generous for a person, useless for a flood.
QUESTIONS_PER_HOUR = getattr(settings, "OVERSIGHT_QUESTIONS_PER_HOUR", 5)
TRIAL_TEMPLATE = "pdf/trial_report.html"
ANNUAL_TEMPLATE = "pdf/annual_report.html"
HOW_IT_WORKS_TEMPLATE = "pdf/how_it_works.html"


class RateLimited(DomainError):
    """Too many questions from one address; `retry_after` is in seconds."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


# --- questions ---------------------------------------------------------------------------------
def _count_attempt(address: str) -> None:
    # In the database, in the question's own transaction: the limit holds with Redis down, and
    # never refuses or loses a question because of a service the question does not need.
    wait = rate_limit_hit(
        scope="public-questions", who=address, limit=QUESTIONS_PER_HOUR, window=timedelta(hours=1)
    )
    if wait is not None:
        raise RateLimited(
            f"You have asked {QUESTIONS_PER_HOUR} questions in the last hour from this "
            f"connection, which is the limit. Please try again in {wait // 60 + 1} minutes.",
            retry_after=wait,
        )


def question_submit(
    *, deployment: Deployment, text: str, name: str = "", email: str = "", address: str
) -> PublicQuestion:
    """A member of the public asks a question on a published notice."""
    if not deployment.is_public:
        raise TransitionNotAllowed("Questions can be asked only on a published notice.")
    if not text.strip():
        raise PreconditionsFailed({"text": ["Write your question."]})
    with transaction.atomic():
        _count_attempt(address)
        question = PublicQuestion.objects.create(
            deployment=deployment, text=text.strip(), name=name.strip(), email=email.strip()
        )
        audit_record(
            actor="public",
            action="question.submitted",
            obj=deployment,
            details={"question": question.pk},
        )
        # The annual report counts the questions asked.
        _questions_changed(question, notice=False)
    return question


def _questions_changed(question: PublicQuestion, *, notice: bool = True) -> None:
    """The notice shows its questions; the annual report counts them: in this transaction."""
    from core import public_changes

    from .cache import bump

    scopes = [public_changes.QUESTIONS]
    if notice:
        scopes.append(public_changes.notice_scope(question.deployment.reference))
    bump(scopes)


def _require_moderator(user: User) -> None:
    if not has_role(user, Role.MODERATOR):
        raise NotPermitted("Only moderators can moderate public questions.")


def _lock_question(question: PublicQuestion) -> PublicQuestion:
    return (
        PublicQuestion.objects.select_for_update().select_related("deployment").get(pk=question.pk)
    )


@transaction.atomic
def question_publish(*, question: PublicQuestion, by: User, answer: str) -> PublicQuestion:
    """Publish a waiting question with the force's answer."""
    _require_moderator(by)
    question = _lock_question(question)
    if question.status != PublicQuestion.Status.PENDING:
        raise TransitionNotAllowed(
            f"This question is already {question.get_status_display().lower()}; only a "
            "question waiting for moderation can be published."
        )
    if not answer.strip():
        raise PreconditionsFailed({"answer": ["Write the force's answer; it is published."]})
    now = timezone.now()
    question.status = PublicQuestion.Status.PUBLISHED
    question.answer = answer.strip()
    question.answered_at = question.moderated_at = now
    question.moderated_by = by
    question.save()
    audit_record(
        actor=by,
        action="question.published",
        obj=question.deployment,
        details={"question": question.pk},
    )
    queue_report_refresh(question.deployment)
    from .subscriptions import queue_answer_message

    # The questioner's address was given for this one message; it is cleared once it is sent.
    queue_answer_message(question)
    _questions_changed(question)
    return question


@transaction.atomic
def question_answer(*, question: PublicQuestion, by: User, answer: str) -> PublicQuestion:
    """Change the answer to a published question (the change is audited)."""
    _require_moderator(by)
    question = _lock_question(question)
    if question.status != PublicQuestion.Status.PUBLISHED:
        raise TransitionNotAllowed("Only a published question's answer can be changed.")
    if not answer.strip():
        raise PreconditionsFailed({"answer": ["Write the force's answer; it is published."]})
    question.answer = answer.strip()
    question.answered_at = timezone.now()
    question.moderated_by = by
    question.save()
    audit_record(
        actor=by,
        action="question.answer_changed",
        obj=question.deployment,
        details={"question": question.pk},
    )
    queue_report_refresh(question.deployment)
    _questions_changed(question)
    return question


@transaction.atomic
def question_remove(*, question: PublicQuestion, by: User, reason: str) -> PublicQuestion:
    """Remove a waiting or published question; the reason is published in its place."""
    _require_moderator(by)
    question = _lock_question(question)
    if question.status == PublicQuestion.Status.REMOVED:
        raise TransitionNotAllowed("This question has already been removed.")
    if not reason.strip():
        raise PreconditionsFailed({"reason": ["Give the reason for removal; it is published."]})
    question.status = PublicQuestion.Status.REMOVED
    # The address was only to say the answer is online; a removed question has none.
    question.email = ""
    question.removal_reason = reason.strip()
    question.moderated_at = timezone.now()
    question.moderated_by = by
    question.save()
    audit_record(
        actor=by,
        action="question.removed",
        obj=question.deployment,
        details={"question": question.pk, "reason": question.removal_reason},
    )
    queue_report_refresh(question.deployment)
    _questions_changed(question)
    return question


# --- PDF reports --------------------------------------------------------------------------
def _pdf_context() -> dict[str, Any]:
    return {"pdf": True, "site_url": settings.SITE_URL, "force": force_details()}


def _report_html(kind: str, key: str) -> str | None:
    """The HTML a report PDF is rendered from, or None when the report is not public."""
    if kind == ReportPdf.Kind.TRIAL:
        notice = public_notice(key)
        if notice is None or notice.outcome is None:
            return None
        return render_to_string(TRIAL_TEMPLATE, {**notice_context(notice), **_pdf_context()})
    if kind == ReportPdf.Kind.ANNUAL:
        report = annual_report(int(key))
        if report is None:
            return None
        return render_to_string(ANNUAL_TEMPLATE, {**annual_context(report), **_pdf_context()})
    if kind == ReportPdf.Kind.HOW_IT_WORKS:
        from .how_it_works import how_it_works_context

        return render_to_string(HOW_IT_WORKS_TEMPLATE, {**how_it_works_context(), **_pdf_context()})
    raise ValueError(f"Unknown report kind {kind!r}")


PDF_STYLESHEET = Path(settings.BASE_DIR) / "static" / "css" / "pdf.css"


def _source_hash(html: str) -> str:
    """What the PDF is made from: its HTML, its stylesheet and the renderer's version.

    The stylesheet is fetched while rendering, so a change to it would not show in the HTML;
    hashing it too means a restyled report is rendered again rather than served stale.
    """
    from weasyprint import __version__ as weasyprint_version

    digest = hashlib.sha256(html.encode("utf-8"))
    digest.update(PDF_STYLESHEET.read_bytes())
    digest.update(weasyprint_version.encode())
    return digest.hexdigest()


def _is_current(stored: ReportPdf | None, source_hash: str) -> bool:
    return (
        stored is not None
        and stored.source_hash == source_hash
        and bool(stored.file)
        and stored.file.storage.exists(stored.file.name or "")
    )


def report_pdf_refresh(*, kind: str, key: str) -> ReportPdf | None:
    """Render and store the PDF when the record changed since the stored one. None if not public.

    Rendering takes about a second, so it happens outside any transaction; the row is then
    written under a lock, and a second worker that rendered the same source keeps the first one's
    file.
    """
    html = _report_html(kind, key)
    if html is None:
        return None
    source_hash = _source_hash(html)
    stored = ReportPdf.objects.filter(kind=kind, key=key).first()
    if _is_current(stored, source_hash):
        return stored
    # The audit trail's latest signed checkpoint goes in the metadata, deliberately not in
    # `_source_hash`: a new checkpoint every hour must not re-render every report. A PDF carries
    # the latest checkpoint when it was rendered.
    pdf = render_pdf_from_html(html, metadata=checkpoint_pdf_metadata())
    sha256 = hashlib.sha256(pdf).hexdigest()
    for _attempt in range(2):
        try:
            return _store_pdf(kind=kind, key=key, pdf=pdf, sha256=sha256, source_hash=source_hash)
        except IntegrityError:
            # Two workers created the first row for this report at once; the loser retries.
            continue
    raise TransitionNotAllowed(f"Could not store the {kind} report {key}; try again.")


@transaction.atomic
def _store_pdf(*, kind: str, key: str, pdf: bytes, sha256: str, source_hash: str) -> ReportPdf:
    stored = ReportPdf.objects.select_for_update().filter(kind=kind, key=key).first()
    if _is_current(stored, source_hash):
        return stored  # type: ignore[return-value]
    old_name = stored.file.name if stored is not None and stored.file else None
    if stored is None:
        stored = ReportPdf(kind=kind, key=key)
    stored.sha256, stored.source_hash = sha256, source_hash
    stored.file.save(f"{kind}-{key}-{sha256[:16]}.pdf", ContentFile(pdf), save=False)
    stored.save()
    audit_record(
        actor="system",
        action="report_pdf.generated",
        obj=stored,
        details={"kind": kind, "key": key, "sha256": sha256, "source_hash": source_hash},
    )
    if old_name and old_name != stored.file.name:
        storage = stored.file.storage
        # Delete the superseded file only once the new row is committed.
        transaction.on_commit(lambda: storage.delete(old_name))
    return stored


def report_pdf_current(*, kind: str, key: str) -> ReportPdf | None:
    """The stored PDF if it matches the record now; otherwise rendered here and now.

    The task queued on commit normally has it ready. When it has not run yet (a worker is
    busy or down), the request renders it synchronously rather than serve a stale report.
    """
    return report_pdf_refresh(kind=kind, key=key)


def report_pdfs_refresh_for(*, deployment_id: int) -> list[str]:
    """Refresh the PDFs that show this deployment: its trial report and its year's report."""
    deployment = Deployment.objects.filter(pk=deployment_id).first()
    if deployment is None or not deployment.is_notice_public:
        return []
    done = []
    if deployment.is_report_public and report_pdf_refresh(
        kind=ReportPdf.Kind.TRIAL, key=deployment.reference
    ):
        done.append(f"trial {deployment.reference}")
    if deployment.starts_at is not None:
        year = str(timezone.localtime(deployment.starts_at).year)
        if report_pdf_refresh(kind=ReportPdf.Kind.ANNUAL, key=year):
            done.append(f"annual {year}")
    return done


def queue_report_refresh(deployment: Deployment) -> None:
    """Record the PDF refresh in this transaction's outbox; it runs once this commits, or once
    the broker is back (core/outbox.py)."""
    outbox.enqueue(
        "public.tasks.refresh_report_pdfs",
        about=f"deployment:{deployment.pk}",
        description=f"Render the report PDFs that show {deployment.reference}",
        deployment_id=deployment.pk,
    )


# --- the rules /how-it-works/ describes ---------------------------------------------------
POLICY_KEY = "current"


def policy_record(*, at: datetime | None = None) -> PolicyRecord:
    """The rules in force as recorded, recording them first if they changed.

    Called when /how-it-works/ or its PDF is read and by `manage.py record_policy` (run it
    after a deployment changes the environment). A change is written to the audit trail as a
    change of policy, naming each rule with its old and new value. The comparison is cheap
    and lock-free; only a change takes the lock.
    """
    from .how_it_works import policy_fingerprint, policy_rules

    rules = policy_rules()
    fingerprint = policy_fingerprint(rules)
    stored = PolicyRecord.objects.filter(key=POLICY_KEY).first()
    if stored is not None and stored.fingerprint == fingerprint:
        return stored
    for _attempt in range(2):
        try:
            return _policy_store(rules=rules, fingerprint=fingerprint, at=at or timezone.now())
        except IntegrityError:
            # Two requests created the first record at once; the loser reads the winner's.
            continue
    raise TransitionNotAllowed("Could not record the rules in force; try again.")


@transaction.atomic
def _policy_store(*, rules: dict[str, Any], fingerprint: str, at: datetime) -> PolicyRecord:
    from .how_it_works import rules_changed

    # Locked, then compared again: of two requests that saw the same change, one records it.
    stored = PolicyRecord.objects.select_for_update().filter(key=POLICY_KEY).first()
    if stored is not None and stored.fingerprint == fingerprint:
        return stored
    first = stored is None
    old_rules = {} if stored is None else stored.rules
    record = stored or PolicyRecord(key=POLICY_KEY)
    record.rules, record.fingerprint, record.changed_at = rules, fingerprint, at
    record.save()
    audit_record(
        actor="system",
        action="policy.recorded" if first else "policy.changed",
        obj=record,
        details={
            "fingerprint": fingerprint,
            "previous_fingerprint": "" if stored is None else stored.fingerprint,
            "changes": [] if first else rules_changed(old_rules, rules),
        },
    )
    return record


# --- stored open data and annual reports -----------------------------------------------------
def public_files_refresh() -> list[str]:
    """Bring every stored public file up to date (the exports always, and each stored page).

    Each is requested in-process as an anonymous reader would; one that is current is left as
    it is. Returns what was rendered again.
    """
    from django.http import Http404
    from django.urls import reverse

    from .cache import prerender
    from .models import PublicFile

    paths = [reverse("public:open_data_csv"), reverse("public:open_data_json")]
    paths += [p for p in PublicFile.objects.order_by("path").values_list("path", flat=True)]
    done = []
    for path in dict.fromkeys(paths):
        try:
            status = prerender(path)
        except Http404:
            PublicFile.objects.filter(path=path).delete()  # e.g. a year with no trial left
            continue
        except Exception:  # one page's failure must not stop the others
            logger.exception("Could not regenerate %s.", path)
            continue
        if status == "miss":
            done.append(path)
    return done
