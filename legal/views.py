"""Staff pages for legal officers: draft, publish and withdraw document versions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.errors import DomainError, NotPermitted
from core.roles import Role, has_role
from core.types import StaffRequest

from . import services
from .forms import VersionForm, WithdrawForm
from .models import Document, DocumentVersion
from .selectors import documents_with_versions


def _require_legal_officer(request: StaffRequest) -> None:
    if not has_role(request.user, Role.LEGAL_OFFICER):
        raise NotPermitted("Only legal officers can manage the force's legal documents.")


@login_required
def document_list(request: StaffRequest) -> HttpResponse:
    _require_legal_officer(request)
    return render(
        request, "staff/legal/document_list.html", {"documents": documents_with_versions()}
    )


@login_required
def version_create(request: StaffRequest, kind: str) -> HttpResponse:
    _require_legal_officer(request)
    document = get_object_or_404(Document, kind=kind)
    current = document.current_version()
    initial = (
        {"title": current.title, "body": current.body} if current else {"title": document.title}
    )
    form = VersionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        version = services.document_version_draft(
            document=document, by=request.user, **form.cleaned_data
        )
        messages.success(request, f"Draft {version} saved. Publish it when it is ready.")
        return redirect("staff:legal_version_edit", version.pk)
    return render(request, "staff/legal/version_form.html", {"form": form, "document": document})


@login_required
def version_edit(request: StaffRequest, pk: int) -> HttpResponse:
    _require_legal_officer(request)
    version = get_object_or_404(DocumentVersion.objects.select_related("document"), pk=pk)
    form = VersionForm(
        request.POST or None,
        initial={
            "title": version.title,
            "body": version.body,
            "change_summary": version.change_summary,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.document_version_update(version=version, by=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, f"{version} saved.")
            return redirect("staff:legal_version_edit", version.pk)
    return render(
        request,
        "staff/legal/version_form.html",
        {
            "form": form,
            "document": version.document,
            "version": version,
            "withdraw_form": WithdrawForm(),
        },
    )


@login_required
@require_POST
def version_publish(request: StaffRequest, pk: int) -> HttpResponse:
    _require_legal_officer(request)
    version = get_object_or_404(DocumentVersion, pk=pk)
    services.document_version_publish(version=version, by=request.user)
    messages.success(request, f"{version} published; the previous version is superseded.")
    return redirect("staff:legal_documents")


@login_required
@require_POST
def version_withdraw(request: StaffRequest, pk: int) -> HttpResponse:
    _require_legal_officer(request)
    version = get_object_or_404(DocumentVersion.objects.select_related("document"), pk=pk)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        services.document_version_withdraw(version=version, by=request.user, **form.cleaned_data)
        messages.success(request, f"{version} withdrawn.")
        return redirect("staff:legal_documents")
    return render(
        request,
        "staff/legal/version_form.html",
        {
            "form": VersionForm(),
            "document": version.document,
            "version": version,
            "withdraw_form": form,
        },
        status=400,
    )
