"""Staff pages of the engine evaluation reports: the list, a report (HTML and PDF), attaching.

Any member of staff may read a report; only a legal officer may attach one to an equality
impact assessment version (legal/evaluations.py holds the rules).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from audit.selectors import checkpoint_pdf_metadata
from core.errors import DomainError, PreconditionsFailed
from core.roles import Role, has_role
from core.types import StaffRequest

from .evaluations import attachable_versions, check_attach, check_view_evaluations
from .evaluations import evaluation_attach as attach_service
from .models import DocumentVersion, EngineEvaluation


class AttachForm(forms.Form):
    version = forms.ModelChoiceField(
        queryset=DocumentVersion.objects.none(),
        label="Equality impact assessment version",
        help_text="Once attached, the report stays with that version.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = attachable_versions()  # type: ignore[attr-defined]


def report_context(evaluation: EngineEvaluation, *, highlight: str | None = None) -> dict[str, Any]:
    """What the report page and its PDF render."""
    results = evaluation.results or {}
    return {
        "evaluation": evaluation,
        "results": results,
        "excluded": evaluation.excluded or [],
        "highlight": highlight,
    }


@login_required
@require_GET
def evaluation_list(request: StaffRequest) -> HttpResponse:
    check_view_evaluations(request.user)
    evaluations = EngineEvaluation.objects.select_related(
        "created_by", "attached_to__document"
    ).order_by("-created_at", "-pk")
    return render(request, "evaluation/list.html", {"evaluations": evaluations})


@login_required
@require_GET
def evaluation_detail(request: StaffRequest, pk: int) -> HttpResponse:
    check_view_evaluations(request.user)
    evaluation = get_object_or_404(
        EngineEvaluation.objects.select_related("created_by", "attached_to__document"), pk=pk
    )
    context = report_context(evaluation, highlight=request.GET.get("threshold"))
    if has_role(request.user, Role.LEGAL_OFFICER) and evaluation.attached_to_id is None:
        context["attach_form"] = AttachForm()
    return render(request, "evaluation/report.html", context)


@login_required
@require_GET
def evaluation_pdf(request: StaffRequest, pk: int) -> HttpResponse:
    check_view_evaluations(request.user)
    from core.pdf import render_pdf  # WeasyPrint loads only when a PDF is asked for

    evaluation = get_object_or_404(
        EngineEvaluation.objects.select_related("created_by", "attached_to__document"), pk=pk
    )
    pdf = render_pdf(
        template_name="evaluation/report_pdf.html",
        context=report_context(evaluation),
        metadata=checkpoint_pdf_metadata(),  # the audit trail's latest signed checkpoint
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="engine-evaluation-{evaluation.pk}.pdf"'
    return response


@login_required
@require_http_methods(["POST"])
def evaluation_attach(request: StaffRequest, pk: int) -> HttpResponse:
    check_attach(request.user)
    evaluation = get_object_or_404(EngineEvaluation, pk=pk)
    form = AttachForm(request.POST)
    if form.is_valid():
        try:
            attach_service(
                evaluation=evaluation, version=form.cleaned_data["version"], by=request.user
            )
        except PreconditionsFailed as error:
            for field, problems in error.problems.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, f"Attached to {form.cleaned_data['version']}: it now rests on this report."
            )
            return redirect("staff:evaluation_detail", evaluation.pk)
    context = report_context(evaluation)
    context["attach_form"] = form
    return render(request, "evaluation/report.html", context, status=400)
