"""Public pages and exports are computed once per change and never stale.

For each change the public record lists (sign-off, suspension, lifting one, completion, a report
published, a question published or answered, a legal version published or withdrawn, census
figures imported), the pages and exports it alters are computed afresh on the very next request,
and the pages it does not alter are still answered from the cache. `X-Oversight-Cache` says how
each response was answered. Every test runs twice: with the cache the environment configures
(Redis under CI, beside PostgreSQL) and with the embedded default's local memory.
"""

from __future__ import annotations

import gzip
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from deployments import services as ds
from fairness.census import DEFAULT_CENSUS_CSV, area_demographics_import
from legal import services as ls
from legal.models import DocumentVersion
from public import services as ps
from public.cache import STATUS_HEADER, memory
from public.models import PublicFile

from .. import factories
from .conftest import OUTCOME, approved, completed, reported

pytestmark = pytest.mark.django_db

HOME = reverse("public:home")
TRIALS = reverse("public:trial_list")
TABLE = reverse("public:trial_record_table")
CSV = reverse("public:open_data_csv")
JSON = reverse("public:open_data_json")
FEED = reverse("public:feed")
LEGAL = reverse("public:legal_index")
FAIRNESS = reverse("public:fairness")


def notice(trial: Any) -> str:
    return reverse("public:trial_detail", args=[trial.reference])


def annual(trial: Any) -> str:
    return reverse("public:annual_report", args=[timezone.localtime(trial.starts_at).year])


def get(client: Any, url: str, **extra: Any) -> Any:
    response = client.get(url, **extra)
    assert response.status_code == 200, (url, response.status_code)
    return response


def warm(client: Any, *urls: str) -> None:
    """Request each page until it is answered from the cache."""
    for url in urls:
        get(client, url)
        assert get(client, url)[STATUS_HEADER] == "hit", url


def assert_fresh(client: Any, *urls: str) -> dict[str, str]:
    """Each page is computed afresh now; returns their texts."""
    texts = {}
    for url in urls:
        response = get(client, url)
        assert response[STATUS_HEADER] in ("miss", "stored"), (url, response[STATUS_HEADER])
        assert response[STATUS_HEADER] == "miss", url  # a stored file of the old record is stale
        texts[url] = response.content.decode()
    return texts


def assert_cached(client: Any, *urls: str) -> None:
    for url in urls:
        assert get(client, url)[STATUS_HEADER] == "hit", url


@pytest.fixture(autouse=True, params=["configured", "embedded"])
def cache_in_use(request: Any, settings: Any) -> str:
    """The cache the environment configures (Redis under CI), then the embedded default's."""
    if request.param == "embedded":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": f"embedded-{request.node.name}",
            }
        }
    memory.clear()
    return str(request.param)


@pytest.fixture
def other(actors: Any, documents: Any) -> Any:
    """A published trial that the changes under test are not about."""
    return approved(actors)


# --- the register's changes ---------------------------------------------------------------
def test_a_sign_off_shows_the_new_trial_everywhere_at_once(client: Any, actors: Any, other: Any):
    trial = factories.make_draft(actors.planner)
    factories.to_authorised(trial, actors.planner, actors.authoriser)
    factories.record_approvals(trial, actors.chair, actors.panel_a, actors.panel_b)
    factories.give_watchlist(trial)
    warm(client, HOME, TRIALS, TABLE, CSV, JSON, FEED, FAIRNESS, notice(other), LEGAL)

    ds.deployment_sign_off(deployment=trial, by=actors.chair, statement="Approved.")

    texts = assert_fresh(client, HOME, TRIALS, TABLE, CSV, JSON, FEED, FAIRNESS)
    for url in (HOME, TRIALS, TABLE, CSV, JSON, FEED):
        assert trial.reference in texts[url], url
    assert trial.reference in get(client, notice(trial)).content.decode()
    assert trial.reference in get(client, annual(trial)).content.decode()
    assert_cached(client, notice(other), LEGAL)


def test_a_suspension_and_its_lifting_show_on_the_next_request(
    client: Any, actors: Any, other: Any
):
    trial = approved(actors)
    warm(client, HOME, TRIALS, CSV, notice(trial), notice(other), LEGAL)

    ds.deployment_suspend(deployment=trial, by=actors.chair, reason="Signage missing at the site.")

    texts = assert_fresh(client, HOME, TRIALS, CSV, notice(trial))
    assert "Signage missing at the site." in texts[notice(trial)]
    assert f"{trial.reference},{_notice_url(trial)},,,suspended," in texts[CSV]
    assert_cached(client, notice(other), LEGAL)

    warm(client, CSV, notice(trial))
    ds.deployment_lift_suspension(deployment=trial, by=actors.chair, reason="Signage put up.")

    texts = assert_fresh(client, CSV, notice(trial))
    assert "Signage put up." in texts[notice(trial)]
    assert f"{trial.reference},{_notice_url(trial)},,,upcoming," in texts[CSV]
    assert_cached(client, notice(other), LEGAL)


def _notice_url(trial: Any) -> str:
    from django.conf import settings

    return settings.SITE_URL + notice(trial)


def test_completion_shows_the_trial_as_ended(client: Any, actors: Any, other: Any):
    trial = factories.backdate(approved(actors), timedelta(days=5))
    warm(client, CSV, notice(trial), notice(other), LEGAL)

    assert ds.deployment_complete(deployment=trial)

    texts = assert_fresh(client, CSV, notice(trial))
    assert f"{trial.reference},{_notice_url(trial)},,,ended," in texts[CSV]
    assert_cached(client, notice(other), LEGAL)


def test_a_published_report_shows_its_results_at_once(client: Any, actors: Any, other: Any):
    trial = completed(actors)
    warm(client, HOME, CSV, JSON, FEED, annual(trial), notice(trial), notice(other), LEGAL)

    ds.deployment_publish_report(deployment=trial, by=actors.moderator)

    texts = assert_fresh(client, HOME, CSV, JSON, FEED, annual(trial), notice(trial))
    faces = f"{OUTCOME['faces_seen']:,}"
    assert faces in texts[notice(trial)]
    assert f",{OUTCOME['faces_seen']}," in texts[CSV]
    assert f'"faces_seen": {OUTCOME["faces_seen"]}' in texts[JSON]
    assert "results" in texts[FEED].lower()
    assert faces in texts[annual(trial)]
    assert_cached(client, notice(other), LEGAL)


# --- questions ------------------------------------------------------------------------------
def test_a_published_question_and_a_changed_answer_show_on_the_notice_at_once(
    client: Any, actors: Any, other: Any
):
    trial = reported(actors)
    question = ps.question_submit(
        deployment=trial, text="How long are alerts kept?", address="192.0.2.1"
    )
    warm(client, notice(trial), annual(trial), notice(other), HOME, CSV, LEGAL)

    ps.question_publish(question=question, by=actors.moderator, answer="Thirty-one days.")

    texts = assert_fresh(client, notice(trial), annual(trial))
    assert "How long are alerts kept?" in texts[notice(trial)]
    assert "Thirty-one days." in texts[notice(trial)]
    assert_cached(client, notice(other), HOME, CSV, LEGAL)

    warm(client, notice(trial))
    ps.question_answer(question=question, by=actors.moderator, answer="Thirty-one days at most.")

    assert "Thirty-one days at most." in assert_fresh(client, notice(trial))[notice(trial)]
    assert_cached(client, notice(other), HOME, CSV, LEGAL)


# --- the legal basis ----------------------------------------------------------------------
def test_a_published_and_a_withdrawn_legal_version_show_on_the_legal_pages_at_once(
    client: Any, actors: Any, documents: Any, other: Any
):
    document = next(iter(documents.values())).document
    page = reverse("public:legal_document", args=[document.kind])
    warm(client, LEGAL, page, notice(other), HOME, CSV)

    draft = ls.document_version_draft(
        document=document,
        title="Second edition",
        body="The second edition of this document.",
        change_summary="Rewritten in plain words.",
        by=actors.legal_officer,
    )
    assert_cached(client, LEGAL, page)  # a draft is not public
    version = ls.document_version_publish(version=draft, by=actors.legal_officer)

    texts = assert_fresh(client, LEGAL, page, notice(other))
    assert "Rewritten in plain words." in texts[page]
    assert_cached(client, HOME, CSV)

    warm(client, page)
    ls.document_version_withdraw(
        version=version, reason="Replaced by the code of practice.", by=actors.legal_officer
    )
    version.refresh_from_db()
    assert version.status == DocumentVersion.Status.WITHDRAWN
    assert "Replaced by the code of practice." in assert_fresh(client, page)[page]
    assert_cached(client, HOME, CSV)


# --- census figures -------------------------------------------------------------------------
def test_imported_census_figures_show_on_the_fairness_page_at_once(
    client: Any, actors: Any, other: Any
):
    data = DEFAULT_CENSUS_CSV.read_bytes()
    area_demographics_import(data=data, source="first.csv", by="test")
    warm(client, FAIRNESS, LEGAL)
    before = get(client, FAIRNESS).content

    # Westminster (the trials' area) with twice its Black residents.
    lines = data.decode().splitlines()
    header = lines[0].split(",")
    changed = []
    for line in lines:
        cells = line.split(",")
        if cells[0] == "E09000033":
            black = header.index("black")
            cells[black] = str(int(cells[black]) * 2)
            cells[2] = str(int(cells[2]) + int(cells[black]) // 2)
        changed.append(",".join(cells))
    area_demographics_import(data=("\n".join(changed) + "\n").encode(), source="new.csv", by="x")

    after = assert_fresh(client, FAIRNESS)[FAIRNESS]
    assert after != before.decode()
    assert_cached(client, LEGAL)


# --- time, failures, readers ---------------------------------------------------------------
def test_a_trial_that_starts_shows_as_live_with_no_write_to_the_register(
    client: Any, actors: Any, documents: Any, monkeypatch: Any, settings: Any
):
    settings.OVERSIGHT_PUBLIC_CACHE_SECONDS = 30 * 24 * 3600  # only the start can end it
    trial = approved(actors)
    warm(client, CSV, HOME)
    assert f",{_notice_url(trial)},,,upcoming," in get(client, CSV).content.decode()
    # The clock moves past the start: the cached answers end there, with no change recorded.
    started = trial.starts_at + timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: started)
    response = get(client, CSV)
    assert response[STATUS_HEADER] == "miss"
    assert f",{_notice_url(trial)},,,live," in response.content.decode()
    assert get(client, HOME)[STATUS_HEADER] == "miss"


def test_a_rolled_back_change_invalidates_nothing(client: Any, actors: Any, other: Any):
    warm(client, HOME, notice(other))
    with pytest.raises(RuntimeError), transaction.atomic():
        ds.deployment_suspend(deployment=other, by=actors.chair, reason="Changed my mind.")
        raise RuntimeError("rolled back")
    assert_cached(client, HOME, notice(other))


def test_a_cache_that_is_down_falls_through_to_computing(client: Any, other: Any):
    from django.test import override_settings

    # Nothing listens on the discard port: every call to this cache fails to connect.
    down = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }
    with override_settings(CACHES=down):
        for _ in range(2):
            memory.clear()  # each worker's own copy, which would otherwise answer
            response = get(client, HOME)
            assert response[STATUS_HEADER] == "miss"
            assert other.reference in response.content.decode()


def test_each_reader_gets_their_own_csrf_token_on_a_cached_notice(client: Any, other: Any):
    from django.test import Client

    warm(client, notice(other))
    tokens = set()
    for reader in (Client(), Client()):
        response = reader.get(notice(other))
        assert response[STATUS_HEADER] == "hit"
        html = response.content.decode()
        assert "__oversight_csrf_token__" not in html
        token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        tokens.add(token)
        # The question form still works for this reader.
        reader_csrf = Client(enforce_csrf_checks=True)
        reader_csrf.cookies = reader.cookies
        posted = reader_csrf.post(
            notice(other), {"text": "Who decides?", "csrfmiddlewaretoken": token}
        )
        assert posted.status_code == 302
    assert len(tokens) == 2
    # Gzipped, each reader's token is joined into the page compressed once.
    reader = Client()
    zipped = reader.get(notice(other), HTTP_ACCEPT_ENCODING="gzip")
    assert zipped["Content-Encoding"] == "gzip"
    html = gzip.decompress(zipped.content).decode()
    plain = reader.get(notice(other)).content.decode()
    assert "__oversight_csrf_token__" not in html
    assert html.replace(_token(html), "T") == plain.replace(_token(plain), "T")


def _token(html: str) -> str:
    return html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]


def test_signed_in_staff_are_served_fresh(client: Any, actors: Any, other: Any):
    warm(client, HOME)
    client.force_login(actors.chair)
    assert get(client, HOME)[STATUS_HEADER] == "bypass"


def test_an_undeclared_query_parameter_is_served_fresh_and_not_kept(client: Any, other: Any):
    assert get(client, HOME + "?utm_source=news")[STATUS_HEADER] == "bypass"
    assert get(client, HOME + "?utm_source=news")[STATUS_HEADER] == "bypass"
    get(client, TRIALS + "?status=upcoming")
    assert get(client, TRIALS + "?status=upcoming")[STATUS_HEADER] == "hit"


def test_a_cached_page_costs_at_most_one_query(
    client: Any, other: Any, django_assert_max_num_queries: Any
) -> None:
    warm(client, HOME, CSV, notice(other))
    for url in (HOME, CSV, notice(other)):
        # The versions of its scopes: one query, or none once Redis holds their copy
        # (tests/public/test_shared_versions.py).
        with django_assert_max_num_queries(1):
            get(client, url)


# --- stored open data and annual report -----------------------------------------------------
def test_open_data_is_served_gzipped_with_validators_and_304(client: Any, other: Any):
    plain = get(client, CSV)
    zipped = get(client, CSV, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert "Accept-Encoding" in zipped["Vary"]
    assert plain["ETag"] != zipped["ETag"]
    assert plain["Last-Modified"]
    assert get(client, CSV, HTTP_ACCEPT_ENCODING="gzip;q=0").get("Content-Encoding") is None
    for etag, encoding in ((plain["ETag"], ""), (zipped["ETag"], "gzip")):
        again = client.get(CSV, HTTP_IF_NONE_MATCH=etag, HTTP_ACCEPT_ENCODING=encoding)
        assert again.status_code == 304
        assert again.content == b""
    since = client.get(CSV, HTTP_IF_MODIFIED_SINCE=plain["Last-Modified"])
    assert since.status_code == 304


def test_open_data_and_the_annual_report_are_stored_and_regenerated_on_commit(
    client: Any, actors: Any, other: Any, django_capture_on_commit_callbacks: Any, cache: Any
):
    csv_before = get(client, CSV).content
    get(client, annual(other))
    stored = {f.path: f.sha256 for f in PublicFile.objects.all()}
    assert set(stored) >= {CSV, JSON, annual(other)} - {JSON}

    with django_capture_on_commit_callbacks(execute=True):
        ds.deployment_suspend(deployment=other, by=actors.chair, reason="Stopped for a check.")

    # The task ran on commit (at once in the embedded default) and stored the new renderings.
    after = {f.path: f for f in PublicFile.objects.all()}
    assert after[CSV].sha256 != stored[CSV]
    assert after[annual(other)].sha256 != stored[annual(other)]
    with after[CSV].file.open("rb") as handle:
        body = handle.read()
    assert body != csv_before and b"suspended" in body
    # Served from the stored file when the cache has lost it.
    cache.clear()
    memory.clear()
    response = get(client, CSV)
    assert response[STATUS_HEADER] == "stored"
    assert response.content == body


@pytest.fixture
def cache() -> Any:
    from django.core.cache import cache

    return cache


@pytest.mark.worker
# The embedded default has no worker (tasks run in the request's process): Redis's cache only.
@pytest.mark.parametrize("cache_in_use", ["configured"], indirect=True)
def test_a_real_worker_regenerates_the_stored_open_data_after_each_change(
    celery_worker_process: Any, actors: Any
):
    from ..conftest import wait_for

    factories.publish_documents(actors.legal_officer)
    trial = factories.to_approved(factories.make_draft(actors.planner), actors)

    def stored_csv() -> str:
        found = PublicFile.objects.filter(path=CSV).first()
        if found is None:
            return ""
        with found.file.open("rb") as handle:
            return handle.read().decode()

    wait_for(lambda: trial.reference in stored_csv(), what="the worker to store the new CSV")
    ds.deployment_suspend(deployment=trial, by=actors.chair, reason="Stopped for a check.")
    wait_for(
        lambda: f"{trial.reference},{_notice_url(trial)},,,suspended," in stored_csv(),
        what="the worker to store the CSV with the trial suspended",
    )
