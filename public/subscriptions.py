"""Notice subscriptions, and every e-mail the public record sends to the public.

Anyone may ask to be e-mailed when a trial's notice is published (the chair's sign-off) and when
its results are, for the whole of London or for the boroughs they choose. The rules:

- **Double opt-in.** Asking sends one message, with a link that confirms the subscription once
  (a signed token, valid for `OVERSIGHT_SUBSCRIPTION_CONFIRM_DAYS`). Nothing else is sent to an
  address its owner has not confirmed, and an unconfirmed subscription is deleted when its link
  expires (a beat task). The page answers the same whether or not the address is already
  subscribed, so it tells nobody who is; an already confirmed address is sent a reminder of
  its subscription instead of a second confirmation, and nothing about it changes.
- **Every message carries an unsubscribe link** (a signed token naming the subscription), and
  the `List-Unsubscribe` headers of RFC 2369 and RFC 8058, so a mail program's own button
  works too. Unsubscribing deletes the row and the record of what was sent to it.
- **The address is used for these messages and nothing else.** It is never written to the audit
  trail, the outbox, a log or a page; a subscription is named by its id.
- **Each message once.** Messages are queued in the transactional outbox (core/outbox.py) and
  sent by a Celery task over SMTP. A task may run more than once, so each message sent is
  recorded (`SubscriptionDelivery`) in the transaction in which it is sent: a second run finds
  the record and sends nothing. A message whose sending fails is not recorded, and the outbox
  runs the task again later.
- **Limits.** Requests are counted per client address (`OVERSIGHT_SUBSCRIPTIONS_PER_HOUR`, a
  429 with a clear message) and per e-mail address (`OVERSIGHT_SUBSCRIPTION_EMAILS_PER_DAY`
  confirmation messages, past which requests are quietly dropped, so nobody can use the form to
  flood someone else's inbox), in the database (core/ratelimit.py).

A questioner who left an e-mail address is told once that the answer is online, when a
moderator publishes it; the address is then cleared from the question (`answer_message_send`).
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import mail, signing
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from audit.services import audit_record
from core import outbox
from core.errors import DomainError, PreconditionsFailed
from core.force import force_details
from core.ratelimit import rate_limit_hit
from deployments.models import Area, Deployment

from .models import PublicQuestion, Subscription, SubscriptionDelivery
from .services import RateLimited

logger = logging.getLogger(__name__)

CONFIRM_SALT = "public.subscription.confirm"
UNSUBSCRIBE_SALT = "public.subscription.unsubscribe"

# The events a subscriber hears of: the register's action, and the message it sends.
NOTICE = "notice"
RESULTS = "results"
EVENTS = {"approved": NOTICE, "report_published": RESULTS}


class LinkNotValid(DomainError):
    """A confirmation or unsubscribe link that does not work; the message says what to do."""

    code = "link_not_valid"


def confirm_days() -> int:
    return int(settings.OVERSIGHT_SUBSCRIPTION_CONFIRM_DAYS)


def normalise_email(email: str) -> str:
    # One subscription per mailbox: mail systems treat addresses case-insensitively in practice.
    return email.strip().lower()


# --- reads ------------------------------------------------------------------------------------
def subscription_areas() -> QuerySet[Area]:
    """The boroughs one may choose: London's (ONS codes E09) and any other area with a site."""
    return (
        Area.objects.filter(Q(code__startswith="E09") | Q(sites__isnull=False))
        .distinct()
        .order_by("name")
    )


def subscribers_for(area: Area | None) -> QuerySet[Subscription]:
    """Confirmed subscriptions that want news of a trial in `area`."""
    wanted = Q(all_london=True)
    if area is not None:
        wanted |= Q(areas=area)
    return Subscription.objects.filter(wanted, confirmed_at__isnull=False).distinct()


# --- links ------------------------------------------------------------------------------------
def _token(subscription: Subscription, salt: str) -> str:
    return signing.dumps([subscription.pk, subscription.key], salt=salt)


def _absolute(name: str, token: str) -> str:
    return settings.SITE_URL + reverse(name, args=[token])


def confirm_url(subscription: Subscription) -> str:
    return _absolute("public:subscription_confirm", _token(subscription, CONFIRM_SALT))


def unsubscribe_url(subscription: Subscription) -> str:
    return _absolute("public:unsubscribe", _token(subscription, UNSUBSCRIBE_SALT))


_NOT_VALID = (
    "This link is not valid. Check that you copied the whole link from the email. If it still "
    "does not work, subscribe again."
)


def _from_token(token: str, *, salt: str, max_age: timedelta | None = None) -> Subscription | None:
    """The subscription a link names; None if it no longer exists. Raises if the link is bad."""
    try:
        pk, key = signing.loads(token, salt=salt, max_age=max_age)
        pk, key = int(pk), str(key)
    except signing.SignatureExpired as error:
        raise LinkNotValid(
            f"This link has expired: confirmation links work for {confirm_days()} days. "
            "Subscribe again to get a new one.",
            code="link_expired",
        ) from error
    except (signing.BadSignature, TypeError, ValueError) as error:
        raise LinkNotValid(_NOT_VALID) from error
    return Subscription.objects.filter(pk=pk, key=key).first()


def subscription_for_confirm_link(token: str) -> Subscription:
    """The unconfirmed subscription a confirmation link names, or why the link does not work."""
    subscription = _from_token(token, salt=CONFIRM_SALT, max_age=timedelta(days=confirm_days()))
    if subscription is None:
        raise LinkNotValid(
            "This link no longer works: the subscription it was for was cancelled, or was not "
            f"confirmed within {confirm_days()} days and was deleted. Subscribe again if you "
            "want these emails.",
            code="link_gone",
        )
    if subscription.is_confirmed:
        # Single use: a confirmed subscription is not confirmed again.
        raise LinkNotValid(
            "This link has already been used: your subscription is confirmed. Every email we "
            "send has a link to unsubscribe.",
            code="link_used",
        )
    return subscription


def subscription_for_unsubscribe_link(token: str) -> Subscription | None:
    """The subscription an unsubscribe link names; None if it was already deleted."""
    return _from_token(token, salt=UNSUBSCRIBE_SALT)


# --- writes -----------------------------------------------------------------------------------
def _count_request(address: str) -> None:
    limit = int(settings.OVERSIGHT_SUBSCRIPTIONS_PER_HOUR)
    wait = rate_limit_hit(
        scope="subscription-requests", who=address, limit=limit, window=timedelta(hours=1)
    )
    if wait is not None:
        raise RateLimited(
            f"There have been {limit} subscription requests in the last hour from this "
            f"connection, which is the limit. Please try again in {wait // 60 + 1} minutes.",
            retry_after=wait,
        )


def _may_email(email: str) -> bool:
    # Per address, however many connections ask: the form cannot flood someone's inbox.
    return (
        rate_limit_hit(
            scope="subscription-emails",
            who=email,
            limit=int(settings.OVERSIGHT_SUBSCRIPTION_EMAILS_PER_DAY),
            window=timedelta(days=1),
        )
        is None
    )


def _locked_for(email: str) -> Subscription:
    """The address's subscription, locked; created (unconfirmed) if there is none."""
    for _attempt in range(2):
        found = Subscription.objects.select_for_update().filter(email=email).first()
        if found is not None:
            return found
        try:
            with transaction.atomic():
                return Subscription.objects.create(
                    email=email, key=secrets.token_hex(16), requested_at=timezone.now()
                )
        except IntegrityError:
            # Two requests for a new address at once: the loser locks the winner's row.
            continue
    raise PreconditionsFailed({"email": ["Something went wrong; please try again."]})


@transaction.atomic
def subscription_request(*, email: str, all_london: bool, areas: list[Area], address: str) -> None:
    """Someone asks to subscribe `email`. Whatever the address's state, the caller answers the
    same; what is sent depends on it (a confirmation, or a reminder if already confirmed)."""
    if not all_london and not areas:
        raise PreconditionsFailed(
            {"boroughs": ["Choose at least one borough, or choose every trial in London."]}
        )
    _count_request(address)
    email = normalise_email(email)
    if not _may_email(email):
        logger.info("Subscription request dropped: the address's daily messages are used up.")
        return
    subscription = _locked_for(email)
    subscription.requests += 1
    if subscription.is_confirmed:
        # Never changed by a request anyone could make: its owner is reminded how to leave.
        subscription.save(update_fields=["requests"])
        message = f"already:{subscription.requests}"
    else:
        subscription.all_london = all_london
        subscription.requested_at = timezone.now()
        subscription.save(update_fields=["requests", "all_london", "requested_at"])
        subscription.areas.set([] if all_london else areas)
        message = f"confirm:{subscription.requests}"
    outbox.enqueue(
        "public.tasks.send_subscription_message",
        about=f"subscription:{subscription.pk}",
        description="Send a subscription's confirmation message",
        subscription_id=subscription.pk,
        message=message,
    )


@transaction.atomic
def subscription_confirm(*, token: str) -> Subscription:
    """Confirm the subscription a confirmation link names (once)."""
    found = subscription_for_confirm_link(token)
    # Locked, then read again: of two clicks at once, the second finds the link used.
    Subscription.objects.select_for_update().filter(pk=found.pk).first()
    subscription = subscription_for_confirm_link(token)
    subscription.confirmed_at = timezone.now()
    subscription.save(update_fields=["confirmed_at"])
    return subscription


@transaction.atomic
def subscription_delete(*, token: str) -> bool:
    """Unsubscribe: delete the subscription an unsubscribe link names, and what was sent to it.
    False if it was already gone (the link was used before)."""
    subscription = subscription_for_unsubscribe_link(token)
    if subscription is None:
        return False
    deleted, _ = Subscription.objects.filter(pk=subscription.pk).delete()
    return deleted > 0


def subscriptions_purge_unconfirmed(*, now: datetime | None = None) -> int:
    """Delete subscriptions not confirmed within the confirmation window (beat task)."""
    cutoff = (now or timezone.now()) - timedelta(days=confirm_days())
    expired = Subscription.objects.filter(confirmed_at__isnull=True, requested_at__lt=cutoff)
    _deleted, by_model = expired.delete()
    return by_model.get(Subscription._meta.label, 0)


# --- sending ----------------------------------------------------------------------------------
def _message(
    *,
    to: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    unsubscribe: str = "",
    connection: Any = None,
) -> mail.EmailMessage:
    body = render_to_string(
        template, {**context, "force": force_details(), "site_url": settings.SITE_URL}
    )
    headers = {"Auto-Submitted": "auto-generated"}  # RFC 3834: no auto-replies, please
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    return mail.EmailMessage(
        subject=subject, body=body, to=[to], headers=headers, connection=connection
    )


def _send_once(
    *,
    subscription_id: int,
    message: str,
    build: Callable[[Subscription], mail.EmailMessage],
    confirmed: bool,
) -> bool:
    """Send `message` to one subscription unless it was sent already. True if sent now.

    The record and the sending share a transaction, with the subscription locked: a second run
    waits, then finds the record; an unsubscribe waits for the message in flight; a failed send
    rolls the record back so that the task's next run sends it. (A crash after the mail server
    accepted the message and before the commit would send it again on the next run: at least
    once is the best SMTP allows.)
    """
    try:
        with transaction.atomic():
            subscription = (
                Subscription.objects.select_for_update()
                .filter(pk=subscription_id, confirmed_at__isnull=not confirmed)
                .first()
            )
            if subscription is None:
                return False
            if SubscriptionDelivery.objects.filter(
                subscription=subscription, message=message
            ).exists():
                return False
            SubscriptionDelivery.objects.create(subscription=subscription, message=message)
            build(subscription).send()
    except smtplib.SMTPRecipientsRefused:
        # This address, and only it, will never take the message: the others must still get
        # theirs. The error names the address, so it is neither raised (the outbox would keep
        # it) nor logged.
        logger.warning("The mail server refused subscription %s's address.", subscription_id)
        return False
    return True


def _areas_words(subscription: Subscription) -> str:
    names = [area.name for area in subscription.areas.order_by("name")]
    if subscription.all_london or not names:
        return "every trial in London"
    if len(names) == 1:
        return f"trials in {names[0]}"
    return f"trials in {', '.join(names[:-1])} and {names[-1]}"


def subscription_message_send(*, subscription_id: int, message: str) -> str:
    """Send a subscription's confirmation ("confirm:N") or reminder ("already:N"), once."""
    kind = message.split(":", 1)[0]
    if kind not in ("confirm", "already"):
        raise ValueError(f"Unknown subscription message {message!r}")

    def build(subscription: Subscription) -> mail.EmailMessage:
        unsubscribe = unsubscribe_url(subscription)
        context = {
            "choice": _areas_words(subscription),
            "confirm_url": confirm_url(subscription) if kind == "confirm" else "",
            "unsubscribe_url": unsubscribe,
            "days": confirm_days(),
        }
        subject = (
            "Confirm your subscription to live facial recognition notices"
            if kind == "confirm"
            else "You are already subscribed to live facial recognition notices"
        )
        return _message(
            to=subscription.email,
            subject=subject,
            template=f"email/subscription_{kind}.txt",
            context=context,
            unsubscribe=unsubscribe,
        )

    sent = _send_once(
        subscription_id=subscription_id,
        message=message,
        build=build,
        confirmed=kind == "already",
    )
    return "sent" if sent else "nothing to send"


def queue_notice_messages(deployment: Deployment, action: str) -> None:
    """Record the subscribers' message about this change in the outbox, if it is one they hear
    of (a notice or results published); it is sent once the change commits."""
    event = EVENTS.get(action)
    if event is None:
        return
    outbox.enqueue(
        "public.tasks.send_notice_messages",
        about=f"notice-messages:{deployment.pk}",
        description=f"Email subscribers the {event} of {deployment.reference}",
        deployment_id=deployment.pk,
        event=event,
    )


def _still_published(deployment: Deployment, event: str) -> bool:
    # The task runs after the change: a notice withdrawn from the public record since is not sent.
    return deployment.is_public and (event == NOTICE or deployment.is_report_public)


def notice_messages_send(*, deployment_id: int, event: str) -> int:
    """E-mail each confirmed subscriber for the trial's borough (or all London) the new notice
    or results, once each. Returns how many were sent now."""
    if event not in (NOTICE, RESULTS):
        raise ValueError(f"Unknown event {event!r}")
    deployment = (
        Deployment.objects.select_related("site__area", "use_case").filter(pk=deployment_id).first()
    )
    if deployment is None or not _still_published(deployment, event):
        return 0
    message = f"{event}:{deployment.pk}"
    area = deployment.site.area if deployment.site else None
    recipients: list[int] = list(
        subscribers_for(area).exclude(deliveries__message=message).values_list("pk", flat=True)
    )
    if not recipients:
        return 0  # no connection to the mail server for nobody
    notice_url = settings.SITE_URL + reverse("public:trial_detail", args=[deployment.reference])
    subject = (
        f"New notice: live facial recognition at {deployment.site}"
        if event == NOTICE
        else f"Results published: live facial recognition at {deployment.site}"
    )
    sent = 0
    # One connection to the mail server for the whole job.
    with mail.get_connection() as connection:

        def build(subscription: Subscription) -> mail.EmailMessage:
            unsubscribe = unsubscribe_url(subscription)
            return _message(
                to=subscription.email,
                subject=subject,
                template=f"email/{event}.txt",
                context={
                    "trial": deployment,
                    "notice_url": notice_url,
                    "choice": _areas_words(subscription),
                    "unsubscribe_url": unsubscribe,
                },
                unsubscribe=unsubscribe,
                connection=connection,
            )

        for subscription_id in recipients:
            if _send_once(
                subscription_id=subscription_id, message=message, build=build, confirmed=True
            ):
                sent += 1
    if sent:
        # How many, never to whom: the public was told, and the trail says so.
        audit_record(
            actor="system",
            action="subscribers.emailed",
            obj=deployment,
            details={"event": event, "messages": sent},
        )
    return sent


# --- a questioner told that the answer is online -------------------------------------------
def queue_answer_message(question: PublicQuestion) -> None:
    """Record in the outbox the e-mail telling the questioner the answer is online, if they
    left an address (only the question's id goes into the outbox, never the address)."""
    if not question.email:
        return
    outbox.enqueue(
        "public.tasks.send_answer_message",
        about=f"question:{question.pk}",
        description=f"Tell the questioner of question {question.pk} the answer is online",
        question_id=question.pk,
    )


def answer_message_send(*, question_id: int) -> str:
    """E-mail the questioner that the answer is online, once, then clear the address."""
    with transaction.atomic():
        question = (
            PublicQuestion.objects.select_for_update()
            .select_related("deployment")
            .filter(pk=question_id)
            .first()
        )
        if question is None or not question.email:
            return "nothing to send"
        if question.status == PublicQuestion.Status.PUBLISHED:
            url = settings.SITE_URL + reverse(
                "public:trial_detail", args=[question.deployment.reference]
            )
            try:
                _message(
                    to=question.email,
                    subject=f"Your question about {question.deployment.reference} has been "
                    "answered",
                    template="email/question_answered.txt",
                    context={"question": question, "notice_url": f"{url}#questions"},
                ).send()
            except smtplib.SMTPRecipientsRefused:
                # The address will never take it (and the error names it: not kept or logged).
                logger.warning("The mail server refused question %s's address.", question.pk)
        # Sent, or the question was removed since: either way the address has no further use.
        question.email = ""
        question.save(update_fields=["email"])
        audit_record(
            actor="system",
            action="question.answer_emailed"
            if question.status == PublicQuestion.Status.PUBLISHED
            else "question.email_cleared",
            obj=question.deployment,
            details={"question": question.pk},
        )
    return "sent"
