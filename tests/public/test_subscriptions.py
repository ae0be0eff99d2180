"""Notice subscriptions by e-mail, delivered to a real SMTP server (aiosmtpd) through Django's
SMTP backend: double opt-in, a borough's subscribers only, the unsubscribe link deletes the
row, each message once, and links that do not work are pages, never errors."""

from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core import outbox
from core.models import OutboxMessage
from deployments import services as ds
from deployments.models import Area
from public import subscriptions as subs
from public.models import Subscription, SubscriptionDelivery

from .. import factories
from ..conftest import needs_real_services, running_celery_worker, wait_for
from .conftest import approved, completed
from .smtp import SmtpServer, body, smtp_server  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

HERE, THERE = "E09000033", "E09000001"  # the factories' default site area, and another borough
LINK = re.compile(r"http://\S+/(?:subscribe/confirm|unsubscribe)/[^/\s]+/")


@pytest.fixture
def boroughs(db: None) -> dict[str, Area]:
    return {
        code: Area.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in ((HERE, "Westminster"), (THERE, "City of London"))
    }


def subscribe(
    client: Client, capture: Any, email: str, *, areas: list[Area] | None = None, ip: str = "1"
) -> Any:
    data: dict[str, Any] = {"email": email, "where": "london"}
    if areas is not None:
        data = {"email": email, "where": "boroughs", "boroughs": [a.pk for a in areas]}
    with capture(execute=True):
        return client.post(reverse("public:subscribe"), data, REMOTE_ADDR=f"192.0.2.{ip}")


def links(message: Any) -> list[str]:
    return LINK.findall(body(message))


def confirm(client: Client, message: Any) -> Any:
    url = next(link for link in links(message) if "/subscribe/confirm/" in link)
    return client.post(url.replace("http://127.0.0.1:8000", ""))


def run_outbox(task: str) -> None:
    """Hand this task's waiting outbox messages over (Celery eager runs them here)."""
    for message in OutboxMessage.objects.filter(task=task, done_at__isnull=True):
        outbox.relay(message.pk)


def subscribed(
    client: Client, capture: Any, smtp: SmtpServer, email: str, areas: list[Area] | None = None
) -> Subscription:
    response = subscribe(client, capture, email, areas=areas)
    assert response.status_code == 302
    (message,) = smtp.received.to(email)
    assert confirm(client, message).status_code == 200
    return Subscription.objects.get(email=email)


# --- the whole journey ------------------------------------------------------------------------
def test_subscribe_confirm_notice_to_the_borough_only_then_unsubscribe_deletes_the_row(
    actors: Any,
    documents: Any,
    boroughs: dict[str, Area],
    smtp_server: SmtpServer,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
):
    client, capture = Client(), django_capture_on_commit_callbacks
    response = subscribe(client, capture, "here@example.org", areas=[boroughs[HERE]])
    assert response.status_code == 302
    assert response["Location"] == reverse("public:subscription_sent")
    (confirmation,) = smtp_server.received.to("here@example.org")
    assert "Confirm your subscription" in confirmation["Subject"]
    assert "trials in Westminster" in body(confirmation)
    # Following the link changes nothing (mail scanners open links); the button confirms.
    url = links(confirmation)[0].replace("http://127.0.0.1:8000", "")
    page = client.get(url)
    assert page.status_code == 200 and b"Confirm my subscription" in page.content
    assert not Subscription.objects.get(email="here@example.org").is_confirmed
    assert client.post(url).status_code == 200
    assert Subscription.objects.get(email="here@example.org").is_confirmed

    subscribed(client, capture, smtp_server, "there@example.org", [boroughs[THERE]])
    before = smtp_server.received.count()

    trial = approved(actors)  # a site in HERE; the chair's sign-off publishes the notice
    assert trial.site.area == boroughs[HERE]
    run_outbox("public.tasks.send_notice_messages")

    (notice,) = smtp_server.received.to("here@example.org")[1:]
    assert smtp_server.received.count() == before + 1  # nobody in the other borough
    assert trial.reference in body(notice) and "New notice" in notice["Subject"]
    assert f"/trials/{trial.reference}/" in body(notice)
    unsubscribe = [link for link in links(notice) if "/unsubscribe/" in link]
    assert unsubscribe and notice["List-Unsubscribe"].strip() == f"<{unsubscribe[0]}>"
    assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    path = unsubscribe[0].replace("http://127.0.0.1:8000", "")
    assert client.get(path).status_code == 200
    assert Subscription.objects.filter(email="here@example.org").exists()  # GET changes nothing
    assert client.post(path).status_code == 200
    assert not Subscription.objects.filter(email="here@example.org").exists()
    assert not SubscriptionDelivery.objects.filter(message=f"notice:{trial.pk}").exists()
    # The link again: nothing is held, and the page says so.
    again = client.post(path)
    assert again.status_code == 200 and b"no longer hold your address" in again.content


def test_a_mail_programs_one_click_unsubscribe_needs_no_form_of_ours(
    boroughs: Any,
    smtp_server: SmtpServer,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
):
    subscription = subscribed(
        Client(), django_capture_on_commit_callbacks, smtp_server, "oneclick@example.org"
    )
    path = subs.unsubscribe_url(subscription).replace("http://127.0.0.1:8000", "")
    mail_program = Client(enforce_csrf_checks=True)  # no cookie, no form, no token of ours
    response = mail_program.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not Subscription.objects.filter(pk=subscription.pk).exists()


def test_results_go_to_london_wide_subscribers_and_nothing_before_confirmation(
    actors: Any,
    documents: Any,
    boroughs: Any,
    smtp_server: SmtpServer,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
):
    client, capture = Client(), django_capture_on_commit_callbacks
    subscribed(client, capture, smtp_server, "london@example.org")
    subscribe(client, capture, "unconfirmed@example.org", areas=[boroughs[HERE]])
    trial = completed(actors)
    with capture(execute=False):
        ds.deployment_publish_report(deployment=trial, by=actors.moderator)
    run_outbox("public.tasks.send_notice_messages")

    subjects = [m["Subject"] for m in smtp_server.received.to("london@example.org")]
    assert any(s.startswith("New notice") for s in subjects)
    assert any(s.startswith("Results published") for s in subjects)
    # The unconfirmed address got its confirmation and nothing else.
    (only,) = smtp_server.received.to("unconfirmed@example.org")
    assert "Confirm" in only["Subject"]


def test_a_job_run_again_sends_nothing_twice(
    actors: Any,
    documents: Any,
    boroughs: Any,
    smtp_server: SmtpServer,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
):
    client, capture = Client(), django_capture_on_commit_callbacks
    subscribed(client, capture, smtp_server, "once@example.org")
    trial = approved(actors)
    assert subs.notice_messages_send(deployment_id=trial.pk, event=subs.NOTICE) == 1
    # Redelivered: the outbox's message run again, and the task called again.
    message = OutboxMessage.objects.get(task="public.tasks.send_notice_messages")
    outbox.run(message.pk)
    assert subs.notice_messages_send(deployment_id=trial.pk, event=subs.NOTICE) == 0
    assert len(smtp_server.received.to("once@example.org")) == 2  # confirmation and one notice
    # The confirmation's job again: not sent twice either.
    sub = Subscription.objects.get(email="once@example.org")
    assert subs.subscription_message_send(subscription_id=sub.pk, message="confirm:1") == (
        "nothing to send"
    )
    assert len(smtp_server.received.to("once@example.org")) == 2

    # Two runs that listed the recipients at the same moment: the second finds the record.
    def build(subscription: Subscription) -> Any:
        raise AssertionError("must not build a message already sent")

    assert not subs._send_once(
        subscription_id=sub.pk, message=f"notice:{trial.pk}", build=build, confirmed=True
    )


def test_a_failed_send_is_not_recorded_so_the_next_run_sends_it(
    actors: Any,
    documents: Any,
    boroughs: Any,
    smtp_server: SmtpServer,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
    settings: Any,
):
    client, capture = Client(), django_capture_on_commit_callbacks
    subscribed(client, capture, smtp_server, "retry@example.org")
    trial = approved(actors)
    settings.EMAIL_PORT = factories_free_port()  # nothing listens there
    with pytest.raises(OSError):
        subs.notice_messages_send(deployment_id=trial.pk, event=subs.NOTICE)
    assert not SubscriptionDelivery.objects.filter(message=f"notice:{trial.pk}").exists()
    settings.EMAIL_PORT = smtp_server.port
    assert subs.notice_messages_send(deployment_id=trial.pk, event=subs.NOTICE) == 1


def factories_free_port() -> int:
    from .smtp import free_port

    return free_port()


# --- the same answer, and the limits ----------------------------------------------------------
def test_the_page_answers_the_same_for_a_subscribed_address_and_changes_nothing(
    boroughs: dict[str, Area],
    smtp_server: SmtpServer,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
):
    client, capture = Client(), django_capture_on_commit_callbacks
    first = subscribe(client, capture, "Known@Example.org", areas=[boroughs[HERE]])
    confirm(client, smtp_server.received.to("known@example.org")[0])
    second = subscribe(client, capture, "known@example.org", areas=[boroughs[THERE]])
    new = subscribe(client, capture, "new@example.org", areas=[boroughs[THERE]])
    assert (first.status_code, first["Location"]) == (second.status_code, second["Location"])
    assert (new.status_code, new["Location"]) == (second.status_code, second["Location"])
    sub = Subscription.objects.get(email="known@example.org")
    assert list(sub.areas.all()) == [boroughs[HERE]]  # not changed by someone else's request
    reminder = smtp_server.received.to("known@example.org")[-1]
    assert "already subscribed" in reminder["Subject"]
    assert "/subscribe/confirm/" not in body(reminder) and "/unsubscribe/" in body(reminder)


def test_too_many_requests_from_one_connection_are_refused_with_a_clear_message(
    boroughs: Any,
    smtp_server: SmtpServer,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
    settings: Any,
):
    settings.OVERSIGHT_SUBSCRIPTIONS_PER_HOUR = 2
    client, capture = Client(), django_capture_on_commit_callbacks
    assert subscribe(client, capture, "a@example.org").status_code == 302
    assert subscribe(client, capture, "b@example.org").status_code == 302
    refused = subscribe(client, capture, "c@example.org")
    assert refused.status_code == 429 and refused["Retry-After"]
    assert b"which is the limit" in refused.content
    assert not Subscription.objects.filter(email="c@example.org").exists()
    assert subscribe(client, capture, "c@example.org", ip="2").status_code == 302


def test_one_address_is_sent_a_few_confirmations_a_day_however_many_ask(
    boroughs: Any,
    smtp_server: SmtpServer,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
    settings: Any,
):
    settings.OVERSIGHT_SUBSCRIPTION_EMAILS_PER_DAY = 2
    client, capture = Client(), django_capture_on_commit_callbacks
    answers = {
        subscribe(client, capture, "victim@example.org", ip=str(n))["Location"] for n in range(4)
    }
    assert answers == {reverse("public:subscription_sent")}  # the same answer every time
    assert len(smtp_server.received.to("victim@example.org")) == 2


def test_the_form_says_what_to_fix(boroughs: Any):
    response = Client().post(
        reverse("public:subscribe"), {"email": "not an address", "where": "boroughs"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'href="#id_email"' in html and "Enter a valid email address." in html
    assert 'href="#id_boroughs_0"' in html and "Choose at least one borough" in html
    assert not Subscription.objects.exists()
    page = Client().get(reverse("public:subscribe")).content.decode()
    assert "Westminster" in page and "City of London" in page


# --- expiry -----------------------------------------------------------------------------------
def test_unconfirmed_subscriptions_are_deleted_once_the_confirmation_window_passes(
    boroughs: Any, settings: Any
):
    now = timezone.now()
    days = settings.OVERSIGHT_SUBSCRIPTION_CONFIRM_DAYS

    def make(email: str, age: timedelta, confirmed: bool) -> Subscription:
        return Subscription.objects.create(
            email=email,
            key="k" * 32,
            requested_at=now - age,
            confirmed_at=now - age if confirmed else None,
        )

    old = make("old@example.org", timedelta(days=days, minutes=1), False)
    fresh = make("fresh@example.org", timedelta(days=days, minutes=-1), False)
    kept = make("kept@example.org", timedelta(days=days * 10), True)
    from public.tasks import purge_unconfirmed_subscriptions

    assert purge_unconfirmed_subscriptions() == 1
    remaining = set(Subscription.objects.values_list("pk", flat=True))
    assert remaining == {fresh.pk, kept.pk} and old.pk not in remaining
    assert "public.tasks.purge_unconfirmed_subscriptions" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }


class _Past(signing.TimestampSigner):
    """Signs as if it were `days` ago: a link sent then."""

    days = 8

    def timestamp(self) -> str:
        return signing.b62_encode(int(time.time()) - self.days * 86400)


def test_an_expired_confirmation_link_says_so(boroughs: Any):
    sub = Subscription.objects.create(
        email="late@example.org", key="a" * 32, requested_at=timezone.now()
    )
    token = _Past(salt=subs.CONFIRM_SALT).sign_object([sub.pk, sub.key])
    for method in ("get", "post"):
        response = getattr(Client(), method)(reverse("public:subscription_confirm", args=[token]))
        assert response.status_code == 404
        assert b"This link has expired" in response.content
    assert not Subscription.objects.get(pk=sub.pk).is_confirmed


# --- links that do not work -------------------------------------------------------------------
def test_bad_and_reused_links_are_pages_that_say_what_to_do(boroughs: Any):
    sub = Subscription.objects.create(
        email="links@example.org", key="b" * 32, requested_at=timezone.now()
    )
    confirm_path = subs.confirm_url(sub).replace("http://127.0.0.1:8000", "")
    unsubscribe_path = subs.unsubscribe_url(sub).replace("http://127.0.0.1:8000", "")
    client = Client()
    # Signed with a key that is not ours.
    forged = signing.dumps([sub.pk, sub.key], salt=subs.UNSUBSCRIBE_SALT, key="not our key")
    swapped_token = unsubscribe_path.split("/")[-2]
    for path in (
        "/subscribe/confirm/garbage/",
        "/unsubscribe/garbage/",
        "/unsubscribe/" + swapped_token[:-3] + "AAA/",  # signature changed
        reverse("public:subscription_confirm", args=[swapped_token]),  # the other link's token
        reverse("public:unsubscribe", args=[forged]),
    ):
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert response.status_code in (200, 404), (path, method)
            assert b"This link" in response.content or b"no longer hold" in response.content
    assert Subscription.objects.filter(pk=sub.pk).exists()

    assert client.post(confirm_path).status_code == 200
    reused = client.post(confirm_path)
    assert reused.status_code == 200 and b"already been used" in reused.content
    assert client.get(confirm_path).status_code == 200

    assert client.post(unsubscribe_path).status_code == 200
    gone = client.get(confirm_path)
    assert gone.status_code == 404 and b"no longer works" in gone.content
    # A deleted row's id used again by a new subscription: the old links do not name it.
    newer = Subscription.objects.create(
        pk=sub.pk, email="newer@example.org", key="c" * 32, requested_at=timezone.now()
    )
    client.post(unsubscribe_path)
    assert Subscription.objects.filter(pk=newer.pk).exists()


def test_the_notice_message_is_not_sent_for_a_trial_no_longer_public(
    actors: Any, documents: Any, boroughs: Any
):
    draft = factories.make_draft(actors.planner)
    assert subs.notice_messages_send(deployment_id=draft.pk, event=subs.NOTICE) == 0
    assert subs.notice_messages_send(deployment_id=draft.pk + 1000, event=subs.RESULTS) == 0


# --- in production's shape: a real worker on Redis sends to the SMTP server ----------------------
@pytest.mark.worker
def test_a_real_worker_sends_the_confirmation_and_the_new_notice_over_smtp(
    request: pytest.FixtureRequest,
    transactional_db: None,
    settings: Any,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: SmtpServer,  # noqa: F811
    actors: Any,
    boroughs: dict[str, Area],
):
    needs_real_services(postgres=True, redis=True)
    # The worker is another process: it reads the mail server from its environment.
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
    monkeypatch.setenv("EMAIL_HOST", smtp_server.host)
    monkeypatch.setenv("EMAIL_PORT", str(smtp_server.port))
    # The worker signs the links this process checks, with the key they share in production.
    settings.SECRET_KEY = f"test-shared-key-{uuid.uuid4().hex}"
    monkeypatch.setenv("SECRET_KEY", settings.SECRET_KEY)
    factories.publish_documents(actors.legal_officer)
    queue = f"oversight-test-{uuid.uuid4().hex[:12]}"
    with running_celery_worker(
        request, settings, tmp_path, redis_url=settings.REDIS_URL, queue=queue
    ):
        client = Client()
        response = client.post(
            reverse("public:subscribe"),
            {"email": "worker@example.org", "where": "boroughs", "boroughs": [boroughs[HERE].pk]},
            REMOTE_ADDR="192.0.2.50",
        )
        assert response.status_code == 302
        received = smtp_server.received
        wait_for(lambda: received.to("worker@example.org"), what="the confirmation email")
        assert confirm(client, received.to("worker@example.org")[0]).status_code == 200

        trial = approved(actors)
        wait_for(lambda: len(received.to("worker@example.org")) == 2, what="the new notice's email")
        notice = received.to("worker@example.org")[1]
        assert trial.reference in body(notice) and "/unsubscribe/" in body(notice)
        wait_for(
            lambda: OutboxMessage.objects.filter(
                task="public.tasks.send_notice_messages", done_at__isnull=False
            ).exists(),
            what="the notice job to be marked done",
        )
    assert SubscriptionDelivery.objects.filter(message=f"notice:{trial.pk}").count() == 1


def test_a_notice_nobody_subscribed_to_never_calls_the_mail_server(
    actors: Any, documents: Any, boroughs: Any, settings: Any
):
    from .smtp import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    trial = approved(actors)
    assert subs.notice_messages_send(deployment_id=trial.pk, event=subs.NOTICE) == 0


def test_an_address_the_mail_server_refuses_does_not_stop_the_others_and_is_not_kept(
    actors: Any,
    documents: Any,
    boroughs: Any,
    smtp_server: SmtpServer,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
):
    client, capture = Client(), django_capture_on_commit_callbacks
    for email in ("nobody@example.org", "somebody@example.org"):
        Subscription.objects.create(
            email=email,
            key=email[:4] * 8,
            all_london=True,
            requested_at=timezone.now(),
            confirmed_at=timezone.now(),
        )
    with capture(execute=False):
        trial = approved(actors)
    run_outbox("public.tasks.send_notice_messages")
    assert len(smtp_server.received.to("somebody@example.org")) == 1
    job = OutboxMessage.objects.get(task="public.tasks.send_notice_messages")
    assert job.is_done and "nobody" not in job.last_error
    assert not SubscriptionDelivery.objects.filter(
        subscription__email="nobody@example.org", message=f"notice:{trial.pk}"
    ).exists()
    assert subscribe(client, capture, "nobody@example.org", ip="7").status_code == 302
