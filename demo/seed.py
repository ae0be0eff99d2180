"""Demo data for `manage.py seed_demo`: one user per role, demo legal documents, London sites,
and deployments in every lifecycle state. Safe to run more than once.

Everything goes through the services, so the demo's audit trail is real. Deployments that must
lie in the past (live now, completed) are filed in the future as the rules require and then
moved back in time; each such move is itself written to the audit trail as `demo.backdated`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from core.roles import Role, ensure_role_groups
from deployments import services as ds
from deployments.models import Area, Deployment, EngagementMeeting, Review, Site
from fairness.census import area_demographics_import_default
from legal import services as ls
from legal.models import Document, Instrument, UseCase, WatchlistCategory

DEMO_LABEL = (
    "DEMONSTRATION TEXT written for the Oversight software. It is not the policy or the legal "
    "advice of any police force and must not be relied on."
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    roles: tuple[Role, ...]


DEMO_USERS = (
    DemoUser("planner", "Priya", "Shah", (Role.PLANNER,)),
    DemoUser("planner2", "Tom", "Okafor", (Role.PLANNER,)),
    DemoUser("authoriser", "Helen", "Marsh", (Role.AUTHORISING_OFFICER,)),
    DemoUser("panel1", "Amira", "Haddad", (Role.PANEL_MEMBER,)),
    DemoUser("panel2", "David", "Lloyd", (Role.PANEL_MEMBER,)),
    DemoUser("panel3", "Grace", "Mensah", (Role.PANEL_MEMBER,)),
    DemoUser("chair", "Ruth", "Adeyemi", (Role.PANEL_CHAIR, Role.PANEL_MEMBER)),
    DemoUser("operator", "Sam", "Clarke", (Role.OPERATOR,)),
    DemoUser("legal", "Fiona", "Grant", (Role.LEGAL_OFFICER,)),
    DemoUser("moderator", "Ola", "Bakare", (Role.MODERATOR,)),
)


def validate_demo_password(password: str) -> None:
    """Run the password validators for every demo user; raise ValidationError with their words.

    Checked before anything is written, so a refused password leaves nothing half-seeded.
    """
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    User = get_user_model()
    problems: list[str] = []
    for spec in DEMO_USERS:
        person = User(username=spec.username, first_name=spec.first_name, last_name=spec.last_name)
        try:
            validate_password(password, user=person)
        except ValidationError as error:
            problems.extend(m for m in error.messages if m not in problems)
    if problems:
        raise ValidationError(problems)


def seed_users(password: str) -> dict[str, Any]:
    validate_demo_password(password)
    ensure_role_groups()
    User = get_user_model()
    users = {}
    for spec in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=spec.username,
            defaults={"first_name": spec.first_name, "last_name": spec.last_name},
        )
        if created or not user.check_password(password):
            user.set_password(password)
            user.save()
        user.groups.add(*Group.objects.filter(name__in=[r.value for r in spec.roles]))
        users[spec.username] = user
    seed_public_details(users)
    return users


def seed_public_details(users: dict[str, Any]) -> None:
    """What the public record may say of the demo's deciders: ranks, and the panel members
    who agreed to be listed with their (made-up) declared interests."""
    from deployments.models import StaffProfile

    details: dict[str, dict[str, Any]] = {
        "authoriser": {"rank": "Superintendent"},
        "chair": {
            "listed_publicly": True,
            "declared_interests": "DEMO: trustee of a charity that runs youth clubs in "
            "Lambeth (unpaid).",
        },
        "panel1": {"listed_publicly": True, "declared_interests": "None."},
        "panel2": {
            "listed_publicly": True,
            "declared_interests": "DEMO: lecturer in computer science at a London university; "
            "no funding from suppliers of facial recognition.",
        },
    }
    for username, fields in details.items():
        if username in users:
            StaffProfile.objects.update_or_create(user=users[username], defaults=fields)


INSTRUMENTS = (
    (
        "Common-law powers of the police",
        Instrument.Kind.COMMON_LAW,
        "The police's common-law duty to prevent and detect crime",
        "The police may take reasonable steps to prevent and detect crime and keep the peace; "
        "the courts have held that overt LFR falls within these powers when the rules on where "
        "and whom are clear.",
        "",
    ),
    (
        "Data Protection Act 2018, Part 3, s.35",
        Instrument.Kind.STATUTE,
        "Sensitive processing for law enforcement",
        "Biometric data may be processed for law enforcement only when strictly necessary, "
        "under an appropriate policy document, and with a data protection impact assessment.",
        "https://www.legislation.gov.uk/ukpga/2018/12/section/35",
    ),
    (
        "Human Rights Act 1998, Schedule 1, Article 8",
        Instrument.Kind.STATUTE,
        "Right to respect for private and family life",
        "An interference with privacy must be in accordance with the law, pursue a legitimate "
        "aim and be necessary and proportionate.",
        "https://www.legislation.gov.uk/ukpga/1998/42/schedule/1",
    ),
    (
        "Equality Act 2010, s.149",
        Instrument.Kind.STATUTE,
        "Public sector equality duty",
        "The force must have due regard to eliminating discrimination, including by checking "
        "whether the software is biased by race or sex.",
        "https://www.legislation.gov.uk/ukpga/2010/15/section/149",
    ),
    (
        "Surveillance Camera Code of Practice (2021)",
        Instrument.Kind.CODE_OF_PRACTICE,
        "Surveillance camera code",
        "Twelve guiding principles for overt surveillance cameras in public places.",
        "",
    ),
    (
        "R (Bridges) v Chief Constable of South Wales Police [2020] EWCA Civ 1058",
        Instrument.Kind.CASE_LAW,
        "Bridges",
        "LFR was unlawful where too much discretion was left about who could be on a watchlist "
        "and where it could be deployed, the DPIA was deficient, and the equality duty was "
        "not met.",
        "",
    ),
)

DOCUMENTS = {
    Document.Kind.LEGAL_MANDATE: "Legal mandate for live facial recognition",
    Document.Kind.DPIA: "Data protection impact assessment: live facial recognition",
    Document.Kind.EQUALITY_IMPACT: "Equality impact assessment: live facial recognition",
    Document.Kind.APPROPRIATE_POLICY: "Appropriate policy document: sensitive processing",
    Document.Kind.SOP: "Standard operating procedure: live facial recognition",
    Document.Kind.LFR_POLICY: "Live facial recognition policy",
}

DOCUMENT_BODIES = {
    Document.Kind.LEGAL_MANDATE: [
        "1. Purpose. This document sets out why the force considers the overt use of live facial "
        "recognition (LFR) lawful, and the limits within which it may be used.",
        "2. Source of the power. The force relies on its common-law powers to prevent and detect "
        "crime, read with the Data Protection Act 2018 Part 3, the Human Rights Act 1998 and the "
        "Surveillance Camera Code of Practice.",
        "3. Who may be on a watchlist. Only the categories listed in the LFR policy for the use "
        "case authorised, with images the force lawfully holds.",
        "4. Where it may be used. Only at sites chosen under the LFR policy, for a stated "
        "policing purpose, after authorisation and the ethics panel's sign-off.",
    ],
    Document.Kind.DPIA: [
        "1. Processing. Faces passing the camera are detected and compared with a watchlist. "
        "A face that does not match is discarded at once: no image, template or record of it "
        "is kept.",
        "2. Risks. Misidentification; chilling effect on lawful assembly; disproportionate impact "
        "on particular communities.",
        "3. Mitigations. Human adjudication of every alert; a threshold no looser than the policy "
        "limit; watchlists deleted within 24 hours of the end of a deployment; published results.",
    ],
    Document.Kind.EQUALITY_IMPACT: [
        "1. The force has had due regard to the public sector equality duty.",
        "2. The engine is evaluated by demographic group before use and the results published.",
        "3. Sites are chosen so that no community is exposed to the technology out of proportion "
        "to its share of London's population, and the exposure is published.",
    ],
    Document.Kind.APPROPRIATE_POLICY: [
        "1. This document explains the procedures for sensitive processing of biometric data "
        "under section 35 and Schedule 8 of the Data Protection Act 2018.",
        "2. Retention: watchlist images and templates 24 hours after the deployment ends; alert "
        "images 31 days unless retained as evidence.",
    ],
    Document.Kind.SOP: [
        "1. Before a deployment: the public notice has been published for at least 24 hours.",
        "2. During: operators adjudicate every alert; an officer engages only after adjudication.",
        "3. After: the outcome is recorded from the engine's counts and published.",
    ],
    Document.Kind.LFR_POLICY: [
        "2.3(a) Crime hotspots: to locate people wanted by the courts or for serious offences in "
        "places where intelligence shows serious crime is concentrated.",
        "2.3(b) People at risk: to locate missing people at risk and people who pose a risk of "
        "harm.",
        "2.7(b) Events: to locate people subject to conditions or wanted at major public events.",
    ],
}


def seed_legal(users: dict[str, Any]) -> None:
    legal = users["legal"]
    instruments = {}
    for citation, instrument_kind, title, summary, url in INSTRUMENTS:
        instruments[citation], _ = Instrument.objects.get_or_create(
            citation=citation,
            defaults={"kind": instrument_kind, "title": title, "summary": summary, "url": url},
        )
    for kind, title in DOCUMENTS.items():
        document, _ = Document.objects.get_or_create(kind=kind, defaults={"title": title})
        if document.versions.exists():
            continue
        paragraphs = DOCUMENT_BODIES[kind]
        first = ls.document_version_draft(
            document=document,
            title=title,
            body="\n\n".join([DEMO_LABEL, *paragraphs[:-1]]),
            change_summary="First version.",
            by=legal,
        )
        ls.document_version_publish(version=first, by=legal)
        if kind in (Document.Kind.LEGAL_MANDATE, Document.Kind.DPIA):
            # A second version, so the public history and its diff have something to show.
            second = ls.document_version_draft(
                document=document,
                title=title,
                body="\n\n".join([DEMO_LABEL, *paragraphs]),
                change_summary="Adds the final section after the ethics panel's comments.",
                by=legal,
            )
            ls.document_version_publish(version=second, by=legal)
    use_cases = (
        (
            "2.3(a)",
            "Crime hotspot",
            "Locating people wanted for serious offences where serious crime is concentrated.",
            [WatchlistCategory.WANTED_BY_COURT, WatchlistCategory.WANTED_SUSPECT],
        ),
        (
            "2.3(b)",
            "People at risk",
            "Locating missing people at risk, and people who pose a risk of serious harm.",
            [WatchlistCategory.MISSING_PERSON, WatchlistCategory.RISK_OF_HARM],
        ),
        (
            "2.7(b)",
            "Major events",
            "Locating people subject to conditions or wanted, at major public events.",
            [
                WatchlistCategory.WANTED_BY_COURT,
                WatchlistCategory.BAIL_CONDITIONS,
                WatchlistCategory.SEX_OFFENDER_CONDITIONS,
            ],
        ),
    )
    for clause, title, description, categories in use_cases:
        use_case, created = UseCase.objects.get_or_create(
            clause=clause,
            defaults={"title": title, "description": description, "allowed_categories": categories},
        )
        if created:
            use_case.instruments.set(instruments.values())


SITES = (
    # name, area code, latitude, longitude, footfall per hour, use case clauses
    ("Oxford Circus", "E09000033", "51.51520", "-0.14190", 9000, ("2.3(a)", "2.7(b)")),
    ("Leicester Square", "E09000033", "51.51030", "-0.13020", 6000, ("2.3(a)", "2.7(b)")),
    ("Stratford Broadway", "E09000025", "51.54180", "-0.00350", 5000, ("2.3(a)", "2.3(b)")),
    ("Croydon North End", "E09000008", "51.37520", "-0.10050", 4000, ("2.3(a)", "2.3(b)")),
    ("Brixton Station Road", "E09000022", "51.46270", "-0.11450", 3500, ("2.3(a)",)),
    ("Wembley Park Olympic Way", "E09000005", "51.55900", "-0.27960", 7000, ("2.7(b)",)),
    ("Camden High Street", "E09000007", "51.53900", "-0.14260", 4500, ("2.3(a)", "2.3(b)")),
    ("Romford Market Place", "E09000016", "51.57750", "0.18370", 2500, ("2.3(a)",)),
    ("Kingston Market Place", "E09000021", "51.40970", "-0.30620", 2500, ("2.3(a)", "2.3(b)")),
    ("Ilford Broadway", "E09000026", "51.55900", "0.07050", 3000, ("2.3(a)",)),
    ("Wood Green High Road", "E09000014", "51.59730", "-0.10990", 3000, ("2.3(a)",)),
    ("Bromley High Street", "E09000006", "51.40620", "0.01430", 2800, ("2.3(a)", "2.3(b)")),
)


def load_london_areas() -> None:
    # The boroughs and London itself, with their census counts by group.
    area_demographics_import_default(by="seed_demo")


def seed_places() -> None:
    load_london_areas()
    for name, code, lat, lon, footfall, clauses in SITES:
        site, created = Site.objects.get_or_create(
            name=name,
            area=Area.objects.get(code=code),
            defaults={
                "latitude": Decimal(lat),
                "longitude": Decimal(lon),
                "footfall_per_hour": footfall,
                "description": f"DEMO: the camera van parks at the kerb at {name}, its two "
                "cameras facing people walking towards it. Signs saying that live facial "
                "recognition is in use stand at each approach, 50 metres before the cameras.",
            },
        )
        if created:
            site.use_cases.set(UseCase.objects.filter(clause__in=clauses))


def _request(
    site_name: str, clause: str, start: datetime, hours: int, **extra: Any
) -> dict[str, Any]:
    site = Site.objects.get(name=site_name)
    use_case = UseCase.objects.get(clause=clause)
    data = {
        "site": site,
        "use_case": use_case,
        "starts_at": start,
        "ends_at": start + timedelta(hours=hours),
        "purpose": f"To locate people on the watchlist at {site.name}, under use case {clause}.",
        "necessity": "Intelligence shows the people sought frequent this area and conventional "
        "searches have not found them.",
        "proportionality": "Overt, time-limited, signposted, with a small watchlist and every "
        "alert adjudicated by a trained operator before anyone is approached.",
        "alternatives_considered": "Foot patrols with printed briefings; CCTV reviewed afterwards.",
        "intelligence_case": "RESTRICTED demo intelligence case: summary of recent reports.",
        "watchlist_categories": use_case.allowed_categories[:1],
        "watchlist_criteria": "People in the allowed categories with a custody image held lawfully "
        "and a live warrant or marker.",
        "watchlist_size_cap": 500,
        "match_threshold": Decimal("0.500"),
        "site_selection_rationale": f"{site.name} is where the reports concentrate. Footfall "
        f"{site.footfall_per_hour:,} an hour; the borough's population mix was compared with "
        "London's before choosing it.",
        "fairness_justification": "DEMO: the exposure analysis was read before choosing the "
        "site. The borough's Asian, Black, Mixed, White and Other ethnic group residents were "
        "compared with "
        "London's; the site is where the reports concentrate, the window is short and the "
        "engagement plan reaches the communities most exposed.",
        "community_engagement_plan": "Leaflets and signs at every entrance; a briefing for the "
        "ward's safer neighbourhood panel; this notice published at least 24 hours before.",
        "expected_faces": site.footfall_per_hour * hours,
    }
    data.update(extra)
    return data


def _backdate(deployment: Deployment, *, shift: timedelta) -> Deployment:
    """Move a deployment's times back, recorded in the audit trail (demo only)."""
    fields = ("starts_at", "ends_at", "submitted_at", "approved_at", "notice_published_at")
    values = {f: getattr(deployment, f) - shift for f in fields if getattr(deployment, f)}
    Deployment.objects.filter(pk=deployment.pk).update(**values)
    audit_record(
        actor="seed_demo",
        action="demo.backdated",
        obj=deployment,
        details={"shifted_by_hours": shift.total_seconds() / 3600},
    )
    deployment.refresh_from_db()
    return deployment


def _engagement(deployment: Deployment, users: dict[str, Any]) -> None:
    """The meetings a planner held before the deployment: its engagement record."""
    today = timezone.localdate()
    area = deployment.site.area.name if deployment.site else "the area"
    for days_ago, kind, group, raised, changed in (
        (
            40,
            EngagementMeeting.Kind.WARD_PANEL,
            f"{area} safer neighbourhood ward panel",
            "Whether young people near the station would be stopped more often.",
            "The cameras face the main exit, away from the youth centre, and officers will "
            "explain the trial to anyone who asks.",
        ),
        (
            30,
            EngagementMeeting.Kind.ADVISORY_GROUP,
            f"{area} independent advisory group",
            "How long images of people who raise an alert are kept, and who sees them.",
            "The notice now states the retention period and how to ask for your data.",
        ),
    ):
        ds.engagement_add(
            deployment=deployment,
            by=users["planner"],
            data={
                "held_on": today - timedelta(days=days_ago),
                "kind": kind,
                "group_name": group,
                "raised": raised,
                "changed": changed,
            },
        )


def _through_panel(
    deployment: Deployment, users: dict[str, Any], *, conditions: bool = False
) -> None:
    _engagement(deployment, users)
    ds.deployment_authorise(
        deployment=deployment,
        by=users["authoriser"],
        statement="I am satisfied the deployment is necessary for the stated purpose and "
        "proportionate given the safeguards.",
    )
    for reviewer in ("panel1", "panel2"):
        ds.review_assign(deployment=deployment, reviewer=users[reviewer], by=users["chair"])
    ds.review_record(
        deployment=deployment,
        reviewer=users["panel1"],
        decision=Review.Decision.APPROVE,
        reasons="The site choice is explained and the watchlist is narrow.",
    )
    ds.review_record(
        deployment=deployment,
        reviewer=users["panel2"],
        decision=Review.Decision.APPROVE_WITH_CONDITIONS if conditions else Review.Decision.APPROVE,
        reasons="Acceptable with the safeguards described.",
        conditions="Publish the false alert rate within 7 days." if conditions else "",
    )


def _sign_off(deployment: Deployment, users: dict[str, Any]) -> Deployment:
    # Sign-off pins the watchlist's fingerprint: it is enrolled first, as a planner
    # would have done while the request was with the panel.
    from demo.engine import cameras_seed, watchlist_seed

    watchlist_seed(deployment, users["planner"])
    cameras_seed(deployment, users["planner"])
    return ds.deployment_sign_off(
        deployment=deployment,
        by=users["chair"],
        statement="The panel is satisfied that the request meets the policy, and approves it.",
        conditions="Signs at every entrance; results published within 14 days.",
    )


def seed_deployments(users: dict[str, Any]) -> list[Deployment]:
    planner = users["planner"]
    if Deployment.objects.filter(created_by=planner).exists():
        return []
    now = timezone.now()
    soon = now + timedelta(days=3)
    made: list[Deployment] = []

    def filed(site: str, clause: str, start: datetime, hours: int = 6, **extra: Any) -> Deployment:
        d = ds.deployment_create(by=planner, data=_request(site, clause, start, hours, **extra))
        made.append(d)
        return d

    # Draft, with gaps the checklist shows (including the exposure flag's justification).
    filed(
        "Kingston Market Place",
        "2.3(b)",
        soon,
        community_engagement_plan="",
        expected_faces=None,
        fairness_justification="",
    )
    # Submitted, waiting for the authorising officer.
    d = filed("Camden High Street", "2.3(a)", soon + timedelta(days=1))
    ds.deployment_submit(deployment=d, by=planner)
    # Returned for changes.
    d = filed("Ilford Broadway", "2.3(a)", soon + timedelta(days=2))
    ds.deployment_submit(deployment=d, by=planner)
    ds.deployment_return(
        deployment=d,
        by=users["authoriser"],
        reasons="Explain why a smaller watchlist would not do, and add the ward panel briefing.",
    )
    # Authorised, with the panel: one review so far.
    d = filed("Stratford Broadway", "2.3(b)", soon + timedelta(days=4))
    ds.deployment_submit(deployment=d, by=planner)
    ds.deployment_authorise(
        deployment=d, by=users["authoriser"], statement="Necessary and proportionate."
    )
    for reviewer in ("panel1", "panel2"):
        ds.review_assign(deployment=d, reviewer=users[reviewer], by=users["chair"])
    ds.review_record(
        deployment=d,
        reviewer=users["panel1"],
        decision=Review.Decision.APPROVE,
        reasons="Narrow watchlist; clear purpose.",
    )
    # Approved and upcoming: the notice is public.
    d = filed("Oxford Circus", "2.3(a)", soon + timedelta(days=5), hours=8)
    ds.deployment_submit(deployment=d, by=planner)
    _through_panel(d, users, conditions=True)
    _sign_off(d, users)
    # Live now: approved, notice public for three days, window around now.
    d = filed("Leicester Square", "2.3(a)", now + timedelta(hours=1), hours=12)
    ds.deployment_submit(deployment=d, by=planner)
    _through_panel(d, users)
    _sign_off(d, users)
    d = _backdate(d, shift=timedelta(hours=3))
    Deployment.objects.filter(pk=d.pk).update(notice_published_at=now - timedelta(days=3))
    ds.operator_assign(deployment=d, operator=users["operator"], by=users["authoriser"])
    # Suspended by the chair.
    d = filed("Brixton Station Road", "2.3(a)", soon + timedelta(days=6))
    ds.deployment_submit(deployment=d, by=planner)
    _through_panel(d, users)
    _sign_off(d, users)
    ds.deployment_suspend(
        deployment=d,
        by=users["chair"],
        reason="Community concerns raised at the ward panel are being considered.",
    )
    # Rejected by the authorising officer.
    d = filed("Romford Market Place", "2.3(a)", soon + timedelta(days=7))
    ds.deployment_submit(deployment=d, by=planner)
    ds.deployment_reject(
        deployment=d,
        by=users["authoriser"],
        reasons="The intelligence case does not show necessity.",
    )
    # Withdrawn by the planner.
    d = filed("Wood Green High Road", "2.3(a)", soon + timedelta(days=8))
    ds.deployment_withdraw(deployment=d, by=planner, reason="The operation it supported has ended.")
    # Completed, outcome recorded, results published; and one completed awaiting its report.
    for site, days_ago, publish in (
        ("Croydon North End", 20, True),
        ("Bromley High Street", 6, False),
    ):
        d = filed(site, "2.3(a)", now + timedelta(hours=2), hours=6)
        ds.deployment_submit(deployment=d, by=planner)
        _through_panel(d, users)
        _sign_off(d, users)
        d = _backdate(d, shift=timedelta(days=days_ago))
        ds.deployment_complete(deployment=d)
        ds.outcome_record(
            deployment=d,
            by=planner,
            data={
                "faces_seen": 21_400 if publish else 15_250,
                "true_alerts_confirmed": 3,
                "true_alerts_unconfirmed": 1,
                "false_alerts_confirmed": 1,
                "false_alerts_unconfirmed": 0,
                "arrests": 2,
                "other_outcomes": 1,
                "no_action": 2,
                "complaints": 0,
                "summary": "Three people wanted on warrant were located; two were arrested.",
            },
        )
        if publish:
            ds.deployment_publish_report(deployment=d, by=users["moderator"])
    return made


def seed_questions(users: dict[str, Any]) -> None:
    """Public questions on published notices: one answered, one waiting, one removed."""
    from deployments.models import State
    from public import services as ps
    from public.models import PublicQuestion

    if PublicQuestion.objects.exists():
        return
    reported = Deployment.objects.filter(state=State.REPORT_PUBLISHED).order_by("id").first()
    upcoming = (
        Deployment.objects.filter(state=State.APPROVED, starts_at__gt=timezone.now())
        .order_by("starts_at")
        .first()
    )
    moderator = users["moderator"]
    if reported is not None:
        answered = ps.question_submit(
            deployment=reported,
            text="Was anyone stopped because the system got it wrong?",
            name="Jordan",
            email="jordan@example.org",
            address="demo-1",
        )
        ps.question_publish(
            question=answered,
            by=moderator,
            answer="Yes, once. The operator checked the alert, the person was spoken to for two "
            "minutes and went on their way; it is counted as a false alert, confirmed.",
        )
        removed = ps.question_submit(
            deployment=reported,
            text="My neighbour at number 12 is wanted, why did you not catch him?",
            address="demo-2",
        )
        ps.question_remove(
            question=removed,
            by=moderator,
            reason="It named a private individual. Please report crime through the usual channels.",
        )
    if upcoming is not None:
        ps.question_submit(
            deployment=upcoming,
            text="<b>Will there be signs</b> before people reach the cameras?",
            name="Sam",
            address="demo-3",
        )


@transaction.atomic
def seed_demo(*, password: str) -> dict[str, Any]:
    users = seed_users(password)
    seed_legal(users)
    seed_places()
    made = seed_deployments(users)
    engine = seed_watchlists(users)
    evaluation = seed_evaluation(users)
    seed_questions(users)
    return {
        "users": users,
        "deployments": made,
        "evaluation": evaluation,
        "engine": engine,
        "checkpoint": seed_checkpoint(),
    }


def seed_checkpoint() -> str:
    """Sign the audit chain's head, as the register does at intervals (the key under var/)."""
    from audit.services import audit_checkpoint_create
    from audit.signing import development_key_path, is_development_key

    checkpoint = audit_checkpoint_create(reason="seed_demo", only_if_changed=True)
    key = f" with the key in {development_key_path()}" if is_development_key() else ""
    if checkpoint is None:
        return "The audit trail's latest checkpoint is current."
    return f"Audit {checkpoint} signed{key}."


def seed_watchlists(users: dict[str, Any]) -> str:
    """The engine's demo: every signed-off deployment was given a watchlist before
    its sign-off (`_sign_off`); here the live one gets a run with alerts for the operator's
    console, and retention deletes the biometrics of the deployments that ended long ago."""
    from demo.engine import alerts_seed
    from matching.services import retention_purge

    done = alerts_seed(users["operator"])
    purged = retention_purge()
    if purged.watchlists:
        done += f" Retention deleted the watchlist images of {', '.join(purged.watchlists)}."
    return done


def seed_evaluation(users: dict[str, Any]) -> str:
    """Evaluate the engine on the sample photographs (two people in two made-up groups) and
    attach the report to the equality impact assessment. Skipped when a report exists or the
    photographs have not been fetched (`make sample-faces`); about ten seconds otherwise."""
    from legal.evaluations import evaluation_attach
    from legal.models import EngineEvaluation
    from matching.evaluation_samples import write_sample_manifest
    from matching.samples import SAMPLE_FILES, sample_faces_dir

    if EngineEvaluation.objects.exists():
        return "An engine evaluation already exists."
    if not all((sample_faces_dir() / name).is_file() for name in SAMPLE_FILES):
        return "No engine evaluation: fetch the sample faces first (make sample-faces)."
    manifest = write_sample_manifest()
    call_command(
        "evaluate_engine",
        str(manifest),
        thresholds="0.4,0.5,0.6",
        watchlist_size=500,
        by=users["legal"].username,
        stdout=io.StringIO(),
    )
    evaluation = EngineEvaluation.objects.order_by("-pk").first()
    version = Document.objects.get(kind=Document.Kind.EQUALITY_IMPACT).current_version()
    if evaluation is not None and version is not None:
        evaluation_attach(evaluation=evaluation, version=version, by=users["legal"])
    return f"Engine evaluation {evaluation.pk if evaluation else '?'} made from the sample faces."


def demo_logins() -> list[tuple[str, str]]:
    return [(u.username, ", ".join(r.label for r in u.roles)) for u in DEMO_USERS]
