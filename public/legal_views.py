"""The legal basis in public: the force's documents, every public version, diffs between them,
the instruments relied on and the use cases of the LFR policy."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from core.public_changes import LEGAL
from legal.diff import has_changes
from legal.models import Document, DocumentVersion, Instrument, UseCase
from legal.selectors import PUBLIC_STATUSES, public_documents

from .cache import cached_page


@require_GET
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


@require_GET
@cached_page((LEGAL,))
def public_document(request: HttpRequest, kind: str) -> HttpResponse:
    """A document's public history: every version with its fingerprint and what changed."""
    document = get_object_or_404(Document, kind=kind)
    versions = list(document.versions.filter(status__in=PUBLIC_STATUSES).order_by("-number"))
    # Each version is compared with the public version before it (drafts are never public).
    history = [
        (v, versions[i + 1] if i + 1 < len(versions) else None) for i, v in enumerate(versions)
    ]
    return render(
        request,
        "public/legal_document.html",
        {"document": document, "versions": versions, "history": history},
    )


@require_GET
@cached_page((LEGAL,))
def public_version_text(request: HttpRequest, kind: str, number: int) -> HttpResponse:
    """A public version's text exactly as fingerprinted: its SHA-256 is the file's."""
    version = get_object_or_404(
        DocumentVersion, document__kind=kind, number=number, status__in=PUBLIC_STATUSES
    )
    response = HttpResponse(version.body.encode("utf-8"), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{kind}-v{number}.txt"'
    return response


@require_GET
@cached_page((LEGAL,), params=("against",))
def public_version(request: HttpRequest, kind: str, number: int) -> HttpResponse:
    """One version's full text, and what changed from the public version before it.

    The diff is the one stored when the version was published; this view never diffs, so a
    request costs the same however long the document.
    """
    public = DocumentVersion.objects.select_related("document", "diff_against").filter(
        document__kind=kind, status__in=PUBLIC_STATUSES
    )
    version = get_object_or_404(public, number=number)
    # Numbers only: an earlier version's text is not needed here.
    earlier = list(
        DocumentVersion.objects.filter(
            document_id=version.document_id, status__in=PUBLIC_STATUSES, number__lt=number
        )
        .order_by("-number")
        .only("number")
    )
    against = version.diff_against
    requested = request.GET.get("against", "")
    if requested and (against is None or requested != str(against.number)):
        raise Http404(
            "Each version shows what changed from the public version before it; to compare "
            "older versions, open each version in turn."
        )
    rows = version.diff_rows() if against is not None else []
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
