"""A questioner who gave an e-mail address is told once, by a real SMTP server's count, that the
answer is online; the address is then cleared from the question, as the form promises."""

from __future__ import annotations

from typing import Any

import pytest

from core import outbox
from core.models import OutboxMessage
from public import services as ps
from public.models import PublicQuestion
from public.subscriptions import answer_message_send

from .smtp import SmtpServer, body, smtp_server  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

EMAIL = "asker@example.org"


def ask(trial: Any, email: str = EMAIL) -> PublicQuestion:
    return ps.question_submit(
        deployment=trial, text="How long is my face kept?", email=email, address="192.0.2.9"
    )


def test_the_questioner_is_told_once_and_the_address_is_cleared(
    actors: Any,
    approved_trial: Any,
    smtp_server: SmtpServer,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
):
    question = ask(approved_trial)
    with django_capture_on_commit_callbacks(execute=True):
        ps.question_publish(question=question, by=actors.moderator, answer="It is not.")
    (message,) = smtp_server.received.to(EMAIL)
    assert approved_trial.reference in message["Subject"]
    assert f"/trials/{approved_trial.reference}/#questions" in body(message)
    question.refresh_from_db()
    assert question.email == ""
    # The outbox keeps the question's id, never the address.
    job = OutboxMessage.objects.get(task="public.tasks.send_answer_message")
    assert EMAIL not in str(job.kwargs) and job.is_done
    # Run again (a redelivered job) and after a changed answer: nothing more is sent.
    outbox.run(job.pk)
    assert answer_message_send(question_id=question.pk) == "nothing to send"
    with django_capture_on_commit_callbacks(execute=True):
        ps.question_answer(question=question, by=actors.moderator, answer="Not at all.")
    assert len(smtp_server.received.to(EMAIL)) == 1


def test_a_question_without_an_address_queues_no_email(
    actors: Any, approved_trial: Any, django_capture_on_commit_callbacks: Any
):
    question = ask(approved_trial, email="")
    with django_capture_on_commit_callbacks(execute=True):
        ps.question_publish(question=question, by=actors.moderator, answer="It is not.")
    assert not OutboxMessage.objects.filter(task="public.tasks.send_answer_message").exists()


def test_removing_a_question_clears_its_address_and_sends_nothing(
    actors: Any,
    approved_trial: Any,
    smtp_server: SmtpServer,  # noqa: F811
):
    question = ask(approved_trial)
    ps.question_remove(question=question, by=actors.moderator, reason="Off topic.")
    question.refresh_from_db()
    assert question.email == ""
    assert answer_message_send(question_id=question.pk) == "nothing to send"
    assert smtp_server.received.count() == 0


def test_a_failed_send_keeps_the_address_for_the_next_attempt(
    actors: Any, approved_trial: Any, settings: Any
):
    from .smtp import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    question = ask(approved_trial)
    ps.question_publish(question=question, by=actors.moderator, answer="It is not.")
    with pytest.raises(OSError):
        answer_message_send(question_id=question.pk)
    question.refresh_from_db()
    assert question.email == EMAIL


def test_an_address_the_mail_server_refuses_is_cleared_and_kept_nowhere(
    actors: Any,
    approved_trial: Any,
    smtp_server: SmtpServer,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
):
    question = ask(approved_trial, email="nobody@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        ps.question_publish(question=question, by=actors.moderator, answer="It is not.")
    question.refresh_from_db()
    assert question.email == "" and smtp_server.received.count() == 0
    job = OutboxMessage.objects.get(task="public.tasks.send_answer_message")
    assert job.is_done and "nobody" not in job.last_error
