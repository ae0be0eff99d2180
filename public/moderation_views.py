"""The moderators' queue of public questions: publish with the force's answer, or remove.

Thin views: each checks the moderator role, calls one service and redirects back to the queue.
The services check the role again and lock the question, so two moderators acting on the same
question at once cannot both succeed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError, NotPermitted, PreconditionsFailed
from core.roles import Role, has_role
from core.types import StaffRequest
from deployments.policy import may_see_questioner_email

from . import services
from .forms import PublishQuestionForm, RemoveQuestionForm
from .models import PublicQuestion

RECENT_SHOWN = 20


def _require_moderator(request: StaffRequest) -> None:
    if not has_role(request.user, Role.MODERATOR):
        raise NotPermitted("Only moderators can see and moderate public questions.")


def _queue_context(
    *,
    forms_for: int | None = None,
    publish_form: PublishQuestionForm | None = None,
    remove_form: RemoveQuestionForm | None = None,
) -> dict[str, object]:
    """The waiting questions, each with its two forms (the one just posted keeps its errors)."""
    questions = PublicQuestion.objects.select_related("deployment__site__area", "moderated_by")
    pending = []
    for question in questions.filter(status=PublicQuestion.Status.PENDING).order_by("submitted_at"):
        bound = question.pk == forms_for
        pending.append(
            {
                "question": question,
                "publish_form": publish_form
                if bound and publish_form
                else PublishQuestionForm(prefix=f"p{question.pk}"),
                "remove_form": remove_form
                if bound and remove_form
                else RemoveQuestionForm(prefix=f"r{question.pk}"),
            }
        )
    recent = questions.exclude(status=PublicQuestion.Status.PENDING).order_by("-moderated_at")
    return {"pending": pending, "recent": list(recent[:RECENT_SHOWN])}


def _render_queue(
    request: StaffRequest, context: dict[str, object], *, status: int = 200
) -> HttpResponse:
    # The questioner's e-mail address, so the moderator can reply: the policy says who sees it.
    context["can_see_email"] = may_see_questioner_email(request.user)
    return render(request, "staff/moderation/queue.html", context, status=status)


@login_required
@require_GET
def queue(request: StaffRequest) -> HttpResponse:
    _require_moderator(request)
    return _render_queue(request, _queue_context())


@login_required
@require_POST
def publish(request: StaffRequest, pk: int) -> HttpResponse:
    _require_moderator(request)
    question = get_object_or_404(PublicQuestion, pk=pk)
    form = PublishQuestionForm(request.POST, prefix=f"p{pk}")
    if form.is_valid():
        try:
            services.question_publish(
                question=question, by=request.user, answer=form.cleaned_data["answer"]
            )
        except PreconditionsFailed as error:
            for field, problems in error.problems.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        except NotPermitted:
            raise
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("staff:moderation_queue")
        else:
            messages.success(
                request, f"Question published with your answer on {question.deployment}."
            )
            return redirect("staff:moderation_queue")
    return _render_queue(request, _queue_context(forms_for=pk, publish_form=form), status=400)


@login_required
@require_POST
def remove(request: StaffRequest, pk: int) -> HttpResponse:
    _require_moderator(request)
    question = get_object_or_404(PublicQuestion, pk=pk)
    form = RemoveQuestionForm(request.POST, prefix=f"r{pk}")
    if form.is_valid():
        try:
            services.question_remove(
                question=question, by=request.user, reason=form.cleaned_data["reason"]
            )
        except NotPermitted:
            raise
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, f"Question removed from {question.deployment}; the trace is public."
            )
        return redirect("staff:moderation_queue")
    return _render_queue(request, _queue_context(forms_for=pk, remove_form=form), status=400)
