"""Who decided: the notice names the authorising officer by rank and role (and by name only
where the force publishes names); the ethics panel's page lists the members who agreed to be
listed, with their declared interests; each person edits only their own public details."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from core.roles import Role
from deployments import services as ds
from deployments.models import StaffProfile

from .. import factories
from .conftest import approved

pytestmark = pytest.mark.django_db


def test_the_notice_gives_the_authorising_officers_rank_and_role_not_name(
    client: Any, settings: Any, actors: Any, documents: Any
):
    actors.authoriser.first_name, actors.authoriser.last_name = "Jane", "Holloway"
    actors.authoriser.save()
    ds.staff_profile_update(person=actors.authoriser, data={"rank": "Superintendent"})
    trial = approved(actors)
    html = client.get(trial.get_public_url()).content.decode()
    assert "<footer>Superintendent, authorising officer," in html
    assert "Holloway" not in html
    settings.OVERSIGHT_PUBLISH_DECIDER_NAMES = True
    html = client.get(trial.get_public_url() + "?fresh").content.decode()
    assert "<footer>Jane Holloway, Superintendent, authorising officer," in html


def test_without_a_rank_the_notice_says_an_authorising_officer(
    client: Any, actors: Any, documents: Any
):
    trial = approved(actors)
    html = client.get(trial.get_public_url()).content.decode()
    assert "<footer>Authorising officer," in html


def test_the_panel_page_lists_only_those_who_agreed_with_their_interests(client: Any, actors: Any):
    actors.panel_a.first_name, actors.panel_a.last_name = "Amina", "Okafor"
    actors.panel_a.save()
    actors.panel_b.first_name, actors.panel_b.last_name = "Tom", "Reilly"
    actors.panel_b.save()
    ds.staff_profile_update(
        person=actors.panel_a,
        data={"listed_publicly": True, "declared_interests": "Trustee of a youth charity."},
    )
    page = client.get(reverse("public:ethics_panel")).content.decode()
    assert "Amina Okafor" in page and "Trustee of a youth charity." in page
    assert "Reilly" not in page
    assert "not agreed to be listed" in page


def test_to_be_listed_a_member_declares_their_interests(actors: Any):
    from core.errors import PreconditionsFailed

    with pytest.raises(PreconditionsFailed) as refused:
        ds.staff_profile_update(person=actors.panel_a, data={"listed_publicly": True})
    assert "declared_interests" in refused.value.problems
    assert not StaffProfile.objects.filter(user=actors.panel_a, listed_publicly=True).exists()


def test_someone_not_on_the_panel_cannot_be_listed(actors: Any):
    profile = ds.staff_profile_update(
        person=actors.planner, data={"listed_publicly": True, "declared_interests": "x"}
    )
    assert not profile.listed_publicly and profile.declared_interests == ""


def test_a_change_of_details_shows_on_the_next_request_and_is_audited(client: Any, actors: Any):
    ds.staff_profile_update(
        person=actors.panel_a, data={"listed_publicly": True, "declared_interests": "None."}
    )
    assert "None." in client.get(reverse("public:ethics_panel")).content.decode()
    ds.staff_profile_update(
        person=actors.panel_a, data={"listed_publicly": False, "declared_interests": "None."}
    )
    page = client.get(reverse("public:ethics_panel")).content.decode()
    assert "No member of the panel has agreed to be listed yet." in page
    assert AuditEvent.objects.filter(action="staff_profile.changed").count() == 2


def test_staff_edit_their_own_details_on_their_profile_page(client: Any, actors: Any):
    client.force_login(actors.panel_a)
    page = client.get(reverse("staff:profile")).content.decode()
    assert 'name="listed_publicly"' in page and 'name="declared_interests"' in page
    response = client.post(
        reverse("staff:profile"),
        {"rank": "", "listed_publicly": "on", "declared_interests": ""},
    )
    assert response.status_code == 400 and "declare your interests" in response.content.decode()
    response = client.post(
        reverse("staff:profile"),
        {"rank": "", "listed_publicly": "on", "declared_interests": "None."},
    )
    assert response.status_code == 302
    assert StaffProfile.objects.get(user=actors.panel_a).listed_publicly
    # A planner has no listing to give: the fields are not offered.
    other = factories.make_user("another_planner", Role.PLANNER)
    client.force_login(other)
    assert 'name="listed_publicly"' not in client.get(reverse("staff:profile")).content.decode()


def test_the_notice_links_to_the_panel_page(client: Any, actors: Any, documents: Any):
    trial = approved(actors)
    assert (
        f'href="{reverse("public:ethics_panel")}"'
        in client.get(trial.get_public_url()).content.decode()
    )
