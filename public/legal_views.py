"""The legal basis in public: the force's documents, every public version, diffs between them,
the instruments relied on and the use cases of the LFR policy."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from core.public_changes import LEGAL
from legal.diff import has_changes, version_diff
from legal.models import Document, DocumentVersion, Instrument, UseCase
from legal.selectors import public_documents

from .cache import cached_page

_PUBLIC_STATUSES = (
    DocumentVersion.Status.PUBLISHED,
    DocumentVersion.Status.SUPERSEDED,
    DocumentVersion.Status.WITHDRAWN,
)


@cached_page((LEGAL,))
def public_index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "public/legal_index.html",
        {
            "documents": public_documents(),
            "instruments": Instrument.objects.prefetch_related("use_cases"),
            "use_cases": UseCase.objects.filter(is_active=True).prefetch_related("instruments"),
        },
    )


@cached_page((LEGAL,))
def public_document(request: HttpRequest, kind: str) -> HttpResponse:
    """A document's public history: every version with its fingerprint and what changed."""
    document = get_object_or_404(Document, kind=kind)
    versions = list(document.versions.filter(status__in=_PUBLIC_STATUSES).order_by("-number"))
    # Each version is compared with the public version before it (drafts are never public).
    history = [
        (v, versions[i + 1] if i + 1 < len(versions) else None) for i, v in enumerate(versions)
    ]
    return render(
        request,
        "public/legal_document.html",
        {"document": document, "versions": versions, "history": history},
    )


@cached_page((LEGAL,))
def public_version_text(request: HttpRequest, kind: str, number: int) -> HttpResponse:
    """A public version's text exactly as fingerprinted: its SHA-256 is the file's."""
    version = get_object_or_404(
        DocumentVersion, document__kind=kind, number=number, status__in=_PUBLIC_STATUSES
    )
    response = HttpResponse(version.body.encode("utf-8"), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{kind}-v{number}.txt"'
    return response


@cached_page((LEGAL,), params=("against",))
def public_version(request: HttpRequest, kind: str, number: int) -> HttpResponse:
    """One version's full text, and a diff against an earlier version (`?against=N`)."""
    public = DocumentVersion.objects.select_related("document").filter(
        document__kind=kind, status__in=_PUBLIC_STATUSES
    )
    version = get_object_or_404(public, number=number)
    earlier = list(public.filter(number__lt=number).order_by("-number"))
    against = None
    requested = request.GET.get("against", "")
    if requested.isdigit():
        against = next((v for v in earlier if v.number == int(requested)), None)
        if against is None:
            raise Http404("There is no earlier public version with that number to compare.")
    elif earlier:
        against = earlier[0]
    rows = version_diff(against.body, version.body) if against is not None else []
    return render(
        request,
        "public/legal_version.html",
        {
            "version": version,
            "against": against,
            "earlier": earlier,
            "diff": rows,
            "diff_has_changes": has_changes(rows),
        },
    )
