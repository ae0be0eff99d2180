"""Questions from the public on a notice, and their moderation."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from core.errors import NotPermitted, PreconditionsFailed, TransitionNotAllowed
from public import services as ps
from public.models import PublicQuestion

from .. import factories

pytestmark = pytest.mark.django_db


def ask(client: Client, trial: Any, *, address: str = "203.0.113.7", **data: Any) -> Any:
    payload = {"text": "Why here?", "name": "", "email": "", "website": "", **data}
    return client.post(
        reverse("public:trial_detail", args=[trial.reference]), payload, REMOTE_ADDR=address
    )


def notice(client: Client, trial: Any) -> str:
    return client.get(reverse("public:trial_detail", args=[trial.reference])).content.decode()


def test_a_member_of_the_public_can_ask_without_signing_in(client: Client, approved_trial: Any):
    response = ask(client, approved_trial, text="Will there be signs?", email="me@example.org")
    assert response.status_code == 302
    question = PublicQuestion.objects.get()
    assert question.status == PublicQuestion.Status.PENDING
    assert question.email == "me@example.org"
    assert AuditEvent.objects.filter(action="question.submitted").exists()
    assert "me@example.org" not in str(AuditEvent.objects.get(action="question.submitted").details)


def test_a_question_is_not_shown_until_a_moderator_publishes_it(
    client: Client, approved_trial: Any
):
    ask(client, approved_trial, text="Will there be signs?")
    assert "Will there be signs?" not in notice(client, approved_trial)


def test_question_text_is_required(client: Client, approved_trial: Any):
    response = ask(client, approved_trial, text="   ")
    assert response.status_code == 400
    assert not PublicQuestion.objects.exists()


def test_the_form_needs_a_csrf_token(approved_trial: Any):
    client = Client(enforce_csrf_checks=True)
    response = ask(client, approved_trial)
    assert response.status_code == 403
    assert not PublicQuestion.objects.exists()


def test_the_form_carries_a_csrf_token_and_a_hidden_honeypot(client: Client, approved_trial: Any):
    html = notice(client, approved_trial)
    assert "csrfmiddlewaretoken" in html
    assert 'class="honeypot" aria-hidden="true"' in html
    assert 'name="website"' in html


def test_a_filled_honeypot_is_thanked_but_nothing_is_kept(client: Client, approved_trial: Any):
    response = ask(client, approved_trial, website="http://spam.example")
    assert response.status_code == 302
    assert not PublicQuestion.objects.exists()


def test_one_address_is_rate_limited_and_told_when_to_retry(client: Client, approved_trial: Any):
    for n in range(ps.QUESTIONS_PER_HOUR):
        assert ask(client, approved_trial, text=f"Question {n}").status_code == 302
    response = ask(client, approved_trial, text="One too many")
    assert response.status_code == 429
    assert "Retry-After" in response
    assert "try again" in response.content.decode()
    assert PublicQuestion.objects.count() == ps.QUESTIONS_PER_HOUR
    # Another address is not affected.
    assert ask(client, approved_trial, text="Other", address="198.51.100.4").status_code == 302


def test_questions_cannot_be_asked_on_an_unpublished_request(actors: Any, documents: Any):
    draft = factories.make_draft(actors.planner)
    with pytest.raises(TransitionNotAllowed):
        ps.question_submit(deployment=draft, text="Hello?", address="203.0.113.9")


def _pending(trial: Any, text: str = "Why here?", **extra: Any) -> PublicQuestion:
    return ps.question_submit(deployment=trial, text=text, address="203.0.113.8", **extra)


def test_a_published_question_shows_with_the_forces_answer_and_no_email(
    client: Client, approved_trial: Any, actors: Any
):
    question = _pending(approved_trial, name="Sam", email="sam@example.org")
    ps.question_publish(question=question, by=actors.moderator, answer="Because of reports.")
    html = notice(client, approved_trial)
    assert "Why here?" in html and "Because of reports." in html and "Sam" in html
    assert "sam@example.org" not in html


def test_script_in_a_question_is_shown_as_text(client: Client, approved_trial: Any, actors: Any):
    question = _pending(approved_trial, text='<script>alert("x")</script><b>bold</b>')
    ps.question_publish(question=question, by=actors.moderator, answer="<i>answer</i>")
    html = notice(client, approved_trial)
    assert "<script>alert" not in html and "<b>bold</b>" not in html and "<i>answer" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in html


def test_a_removed_question_leaves_a_visible_trace_with_the_reason(
    client: Client, approved_trial: Any, actors: Any
):
    question = _pending(approved_trial, text="Offensive words here")
    ps.question_remove(question=question, by=actors.moderator, reason="It was abusive.")
    html = notice(client, approved_trial)
    question.refresh_from_db()
    assert "Offensive words here" not in html
    assert f"removed by a moderator on {question.moderated_at:%-d %B %Y}: It was abusive." in html


def test_only_moderators_can_publish_or_remove(approved_trial: Any, actors: Any):
    question = _pending(approved_trial)
    for person in (actors.planner, actors.chair, actors.stranger):
        with pytest.raises(NotPermitted):
            ps.question_publish(question=question, by=person, answer="An answer.")
        with pytest.raises(NotPermitted):
            ps.question_remove(question=question, by=person, reason="No.")
    question.refresh_from_db()
    assert question.status == PublicQuestion.Status.PENDING


def test_publishing_needs_an_answer_and_removal_needs_a_reason(approved_trial: Any, actors: Any):
    question = _pending(approved_trial)
    with pytest.raises(PreconditionsFailed):
        ps.question_publish(question=question, by=actors.moderator, answer=" ")
    with pytest.raises(PreconditionsFailed):
        ps.question_remove(question=question, by=actors.moderator, reason="")


def test_a_question_is_published_only_once(approved_trial: Any, actors: Any):
    question = _pending(approved_trial)
    ps.question_publish(question=question, by=actors.moderator, answer="Yes.")
    with pytest.raises(TransitionNotAllowed):
        ps.question_publish(question=question, by=actors.moderator, answer="Again.")


def test_a_published_answer_can_be_changed_and_a_published_question_removed(
    client: Client, approved_trial: Any, actors: Any
):
    question = _pending(approved_trial)
    ps.question_publish(question=question, by=actors.moderator, answer="First answer.")
    ps.question_answer(question=question, by=actors.moderator, answer="Corrected answer.")
    assert "Corrected answer." in notice(client, approved_trial)
    ps.question_remove(question=question, by=actors.moderator, reason="Asked twice.")
    html = notice(client, approved_trial)
    assert "Corrected answer." not in html and "Asked twice." in html
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"question.published", "question.answer_changed", "question.removed"} <= actions
