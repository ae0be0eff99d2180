"""The public pages of notice subscriptions: subscribe, check your email, confirm, unsubscribe.

Thin views over `public.subscriptions`. Following a link in an email never changes anything by
itself: mail systems that scan links open them (GET) before the person does, so the confirm and
unsubscribe pages each show one button that does it (POST). A mail program's own unsubscribe
button posts to the same address (RFC 8058, `List-Unsubscribe=One-Click`) without a form of
ours, so the unsubscribe page takes a POST without a CSRF token: the signed link is what
authorises it. A link that does not work is a page saying why and what to do, never an error.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from core.client import client_address
from core.errors import PreconditionsFailed
from core.forms import attach_problems

from . import subscriptions
from .forms import SubscribeForm
from .services import RateLimited


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    form = SubscribeForm(request.POST or None, areas=subscriptions.subscription_areas())
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                subscriptions.subscription_request(
                    email=form.cleaned_data["email"],
                    all_london=form.all_london,
                    areas=form.areas,
                    address=client_address(request),
                )
            except RateLimited as error:
                form.add_error(None, error.message)
                status = 429
            except PreconditionsFailed as error:
                attach_problems(form, error)
            else:
                # The same answer whether or not the address was already subscribed.
                return redirect("public:subscription_sent")
    response = render(
        request,
        "public/subscribe.html",
        {"form": form, "days": subscriptions.confirm_days()},
        status=status,
    )
    if status == 429:
        response["Retry-After"] = "3600"
    return response


@require_GET
def subscription_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "public/subscribe_sent.html", {"days": subscriptions.confirm_days()})


def _link_problem(request: HttpRequest, error: subscriptions.LinkNotValid) -> HttpResponse:
    # A link used before is not an error of the person's; one that never worked is a 404.
    status = 200 if error.code == "link_used" else 404
    return render(
        request, "public/subscription_link_problem.html", {"problem": error.message}, status=status
    )


@require_http_methods(["GET", "POST"])
def subscription_confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        if request.method == "POST":
            subscriptions.subscription_confirm(token=token)
            return render(request, "public/subscribe_confirmed.html")
        subscriptions.subscription_for_confirm_link(token)
    except subscriptions.LinkNotValid as error:
        return _link_problem(request, error)
    return render(
        request,
        "public/subscribe_confirm.html",
        {"action": reverse("public:subscription_confirm", args=[token])},
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        if request.method == "POST":
            subscriptions.subscription_delete(token=token)
            # Deleted now, or by an earlier use of the link: either way nothing is held.
            return render(request, "public/unsubscribed.html")
        subscription = subscriptions.subscription_for_unsubscribe_link(token)
    except subscriptions.LinkNotValid as error:
        return _link_problem(request, error)
    if subscription is None:
        return render(request, "public/unsubscribed.html")
    return render(
        request,
        "public/unsubscribe.html",
        {"action": reverse("public:unsubscribe", args=[token])},
    )
