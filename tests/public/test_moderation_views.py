"""The moderators' queue of public questions (/staff/moderation/)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from public import services as ps
from public.models import PublicQuestion

from ..conftest import StaffClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def question(approved_trial: Any) -> PublicQuestion:
    return ps.question_submit(
        deployment=approved_trial, text="Is my face kept?", email="q@example.org", address="x"
    )


def signed_in(user: Any) -> Client:
    client = StaffClient()
    client.force_login(user)
    return client


def test_the_queue_lists_waiting_questions_for_a_moderator(actors: Any, question: Any):
    response = signed_in(actors.moderator).get(reverse("staff:moderation_queue"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Is my face kept?" in html and "q@example.org" in html


@pytest.mark.parametrize("who", ["planner", "chair", "stranger"])
def test_people_who_are_not_moderators_cannot_see_the_queue(actors: Any, question: Any, who: str):
    response = signed_in(getattr(actors, who)).get(reverse("staff:moderation_queue"))
    assert response.status_code == 403


def test_the_public_is_sent_to_sign_in(client: Client, question: Any):
    response = client.get(reverse("staff:moderation_queue"))
    assert response.status_code == 302 and "/staff/login/" in response["Location"]


def test_a_moderator_publishes_with_an_answer(actors: Any, question: Any):
    response = signed_in(actors.moderator).post(
        reverse("staff:moderation_publish", args=[question.pk]),
        {f"p{question.pk}-answer": "No: it is discarded at once."},
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.status == PublicQuestion.Status.PUBLISHED
    assert question.moderated_by == actors.moderator


def test_publishing_without_an_answer_shows_the_error(actors: Any, question: Any):
    response = signed_in(actors.moderator).post(
        reverse("staff:moderation_publish", args=[question.pk]), {f"p{question.pk}-answer": ""}
    )
    assert response.status_code == 400
    question.refresh_from_db()
    assert question.status == PublicQuestion.Status.PENDING


def test_a_moderator_removes_with_a_reason(actors: Any, question: Any):
    response = signed_in(actors.moderator).post(
        reverse("staff:moderation_remove", args=[question.pk]),
        {f"r{question.pk}-reason": "Personal details."},
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.status == PublicQuestion.Status.REMOVED
    assert question.removal_reason == "Personal details."


def test_a_planner_cannot_publish_by_posting(actors: Any, question: Any):
    response = signed_in(actors.planner).post(
        reverse("staff:moderation_publish", args=[question.pk]), {f"p{question.pk}-answer": "x"}
    )
    assert response.status_code == 403


def test_the_moderators_dashboard_shows_the_queue(actors: Any, question: Any):
    html = signed_in(actors.moderator).get(reverse("staff:dashboard")).content.decode()
    assert "Public questions to moderate (1)" in html
    assert reverse("staff:moderation_queue") in html


def test_other_dashboards_do_not(actors: Any, question: Any):
    html = signed_in(actors.planner).get(reverse("staff:dashboard")).content.decode()
    assert "Public questions to moderate" not in html
