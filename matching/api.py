"""The frames API: `POST /api/v1/runs/<id>/frames`, for cameras and ingest boxes.

One frame per request, sent as the raw request body with `Content-Type: image/jpeg` or
`image/png` (not multipart: Django spools large multipart parts to a temporary file on disk,
and a frame of a passer-by must never touch the disk). Authenticated by the run's bearer
token, shown once when the run is started: `Authorization: Bearer <token>`.

Answers, always JSON:
- 200 `{"run", "deployment", "faces_seen", "alerts": [{"id", "subject_reference",
  "category", "distance", "seen_at", "url"}]}`; faces that match no one appear only in the
  count;
- 401 no token or not this run's token; 403 the token expired, the run was stopped or its
  operator lost the deployment;
- 413 body over `OVERSIGHT_API_MAX_FRAME_BYTES`; 415 not a JPEG or PNG; 400 an image the
  engine cannot read, with the reason;
- 409 the gate is closed, with `reason_code` and `reason`: the run is stopped, and the caller
  should stop sending;
- 404 for any other path under /api/v1/, and 500 `{"error": "server_error"}` when something
  fails on the server: a camera's client parses every answer as JSON, errors included.

CSRF protection is for cookie-authenticated browsers; this endpoint takes no cookie and is
authenticated by the bearer token alone, so it alone is exempt.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core import signals
from django.http import Http404, HttpRequest, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.log import log_response
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables

from . import engine, services

_TYPES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}


def _error(status: int, code: str, message: str, **extra: Any) -> JsonResponse:
    response = JsonResponse({"error": code, "reason": message, **extra}, status=status)
    response["Cache-Control"] = "no-store"
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="oversight"'
    return response


def _bearer(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def json_errors(view: Callable[..., JsonResponse]) -> Callable[..., JsonResponse]:
    """Answer an exception the view did not expect as JSON too, never Django's HTML 500 page.

    It is still logged (as Django logs a 500) and still reaches `got_request_exception`, so
    error reporting and the test client see it as they would any other.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        try:
            return view(request, *args, **kwargs)
        except Http404:
            return not_found(request)
        except Exception as exc:
            signals.got_request_exception.send(sender=None, request=request)
            response = _error(
                500,
                "server_error",
                "The server failed to process this frame. Nothing was recorded from it; send the "
                "next frame, and tell the register's administrators if this keeps happening.",
            )
            log_response(
                "Frames API error: %s", request.path, response=response, request=request,
                exception=exc,
            )  # fmt: skip
            return response

    return wrapper


API_PREFIX = "/api/"


def bad_request_or_json(request: HttpRequest, exception: Exception | None = None) -> Any:
    """The project's 400 handler: JSON under /api/ (a bad Host header, say), else Django's page."""
    from django.views.defaults import bad_request

    if request.path.startswith(API_PREFIX):
        return _error(400, "bad_request", "The request could not be read; check its headers.")
    return bad_request(request, exception or Exception())


def server_error_or_json(request: HttpRequest) -> Any:
    """The project's 500 handler: JSON under /api/ (a failure outside the view), else the page."""
    from django.views.defaults import server_error

    if request.path.startswith(API_PREFIX):
        return _error(500, "server_error", "The server failed to process this request.")
    return server_error(request)


@csrf_exempt
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any other path under /api/v1/."""
    return _error(
        404, "not_found", "There is no such API address. Frames go to /api/v1/runs/<id>/frames."
    )


@csrf_exempt
@json_errors
# A passer-by's frame must not appear in an error report's local variables.
@sensitive_variables("body", "image")
def run_frames(request: HttpRequest, run_id: int) -> JsonResponse:
    if request.method != "POST":
        response = _error(405, "method_not_allowed", "Send frames with POST.")
        response["Allow"] = "POST"
        return response
    at = timezone.now()
    try:
        run = services.run_authenticate(run_id=run_id, token=_bearer(request), at=at)
    except services.TokenInvalid as error:
        return _error(401, error.code, error.message)
    except services.TokenExpired as error:
        return _error(403, error.code, error.message)

    limit = settings.OVERSIGHT_API_MAX_FRAME_BYTES
    too_large = _error(
        413,
        "too_large",
        f"A frame may be at most {filesizeformat(limit)}. Send a smaller JPEG or PNG.",
    )
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return too_large
    content_type = request.content_type or ""
    if content_type not in _TYPES:
        return _error(
            415,
            "unsupported_media_type",
            "Send one frame as the raw request body with Content-Type image/jpeg or image/png.",
        )
    # Read one byte past the limit: enough to know it is too large, never more. (Django's
    # stream already stops at the declared Content-Length.) Read from the stream, not
    # request.body, which would apply the form-data limit instead of ours.
    body = request.read(limit + 1)
    if len(body) > limit:
        return too_large
    if not body.startswith(_TYPES[content_type]):
        return _error(
            415,
            "unsupported_media_type",
            f"The body is not a {content_type.split('/')[1].upper()}.",
        )
    try:
        image = engine.load_image(
            body, max_bytes=limit, max_pixels=settings.OVERSIGHT_MAX_IMAGE_PIXELS
        )
    except engine.ImageRejected as rejected:
        return _error(400, rejected.reason_code, rejected.message)
    finally:
        del body
    try:
        result = services.run_process_batch(
            run=run, frames=[services.Frame(image=image, seen_at=at)], at=at
        )
    except services.GateClosed as closed:
        return _error(
            409,
            "gate_closed",
            closed.message,
            reason_code=closed.reason_code,
            run_stopped=True,
        )
    except services.RunNotRunning as error:
        return _error(403, error.code, error.message)
    finally:
        services.frame_discard(image)
    response = JsonResponse(
        {
            "run": run.pk,
            "deployment": run.deployment.reference,
            "faces_seen": result.faces_seen,
            "alerts": [
                {
                    "id": alert.pk,
                    "subject_reference": alert.entry.subject_reference,
                    "category": alert.entry.category,
                    "distance": round(alert.distance, 4),
                    "seen_at": alert.seen_at.isoformat(),
                    "url": request.build_absolute_uri(
                        reverse("staff:alert_detail", args=[alert.pk])
                    ),
                }
                for alert in result.alerts
            ],
        }
    )
    response["Cache-Control"] = "no-store"
    return response
