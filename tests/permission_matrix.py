"""Who may GET and POST every URL: the expected answer for each person, in one place.

`tests/oversight/test_permission_matrix.py` walks the URL configuration, asks every URL as each
person below (signed in, or anonymous) with GET and with POST (an empty form), and compares
each status code with this table. A URL with no entry here fails the build: add one line.

One line per URL name:

    "staff:deployment_list": staff(200),
    "public:home": everyone((200, 405)),
    "staff:legal_documents": staff(403, legal=(200, 200)),

- `everyone(cell)`: the same answer for every person, anonymous included;
- `staff(cell)`: signed-in people get `cell`, anonymous gets the sign-in redirect (302);
- a cell is `(GET, POST)`, or one status for both;
- keyword overrides for a group (`need_to_know`, `others`, `staff`) and then for one person,
  applied in the order written;
- `at={"reference": "public"}`: which object of the test's world fills the URL (see
  `WORLD_KWARGS` in the test for the defaults). Extra cases of one URL are keyed
  `"name @variant"`; `"namespace:*"` covers every URL of a namespace without its own entry.

The people, for the deployments of the world (the "restricted" deployment is authorised and
with the panel, not yet public; the "public" one is signed off):
"""

from __future__ import annotations

from dataclasses import dataclass, field

COLUMNS = (
    "planner",  # files every deployment of the world
    "other_planner",
    "authoriser",  # authorised them
    "panel",  # an assigned reviewer of them
    "other_panel",  # a panel member assigned to neither
    "chair",
    "operator",  # assigned to them
    "other_operator",
    "legal",
    "moderator",
    "anonymous",
)
GROUPS = {
    # Those who need to know the world's deployments (deployments.policy.need_to_know).
    "need_to_know": ("planner", "authoriser", "panel", "chair", "operator"),
    "others": ("other_planner", "other_panel", "other_operator", "legal", "moderator"),
    "staff": COLUMNS[:-1],
}
LOGIN = (302, 302)  # anonymous on a staff page: to the sign-in page

Cell = int | tuple[int, int]


@dataclass(frozen=True)
class Row:
    cells: dict[str, tuple[int, int]]
    at: dict[str, str] = field(default_factory=dict)


def _pair(cell: Cell) -> tuple[int, int]:
    return (cell, cell) if isinstance(cell, int) else cell


def _row(default: Cell, at: dict[str, str] | None, overrides: dict[str, Cell]) -> Row:
    cells = {column: _pair(default) for column in COLUMNS}
    for name, cell in overrides.items():
        for column in GROUPS.get(name, (name,)):
            if column not in cells:
                raise KeyError(f"{name!r} is neither a person nor a group of the matrix")
            cells[column] = _pair(cell)
    return Row(cells, at or {})


def everyone(cell: Cell, *, at: dict[str, str] | None = None, **overrides: Cell) -> Row:
    return _row(cell, at, overrides)


def staff(
    cell: Cell, *, at: dict[str, str] | None = None, anonymous: Cell = LOGIN, **overrides: Cell
) -> Row:
    return _row(cell, at, {"anonymous": anonymous, **overrides})


NTK = "need_to_know"

MATRIX: dict[str, Row] = {}
GET_ONLY = (200, 405)

MATRIX = {
    # --- the public record: the same for everyone, signed in or not ---------------------------
    "public:home": everyone(GET_ONLY),
    "public:trial_list": everyone(GET_ONLY),
    # POST asks a question: an empty one is a 400 with the form's errors.
    "public:trial_detail": everyone((200, 400), at={"reference": "public"}),
    # No results report published yet, for anyone.
    "public:trial_report_pdf": everyone((404, 405), at={"reference": "public"}),
    "public:annual_report_index": everyone((302, 405)),
    "public:annual_report": everyone(GET_ONLY),
    # A year with no trials: rendering the year's PDF 11 times would only slow the test, and
    # the answer is the same for everyone either way.
    "public:annual_report_pdf": everyone((404, 405), at={"year": "2001"}),
    "public:open_data": everyone(GET_ONLY),
    "public:open_data_csv": everyone(GET_ONLY),
    "public:open_data_json": everyone(GET_ONLY),
    "public:open_data_schema": everyone(GET_ONLY),
    "public:feed": everyone(200),
    "public:legal_index": everyone(GET_ONLY),
    "public:legal_document": everyone(GET_ONLY),
    "public:legal_version": everyone(GET_ONLY),
    "public:fairness": everyone(200),
    "public:trial_record_table": everyone(GET_ONLY),
    "public:ethics_panel": everyone(GET_ONLY),
    "public:privacy": everyone(GET_ONLY),
    "public:accessibility": everyone(GET_ONLY),
    "public:transparency": everyone(GET_ONLY),
    "public:transparency_json": everyone(GET_ONLY),
    "public:ai_act_json": everyone(GET_ONLY),
    "public:transparency_schema": everyone(GET_ONLY, at={"name": "atrs-record"}),
    "public:how_it_works": everyone(GET_ONLY),
    "public:how_it_works_pdf": everyone(GET_ONLY),
    "public:audit": everyone(GET_ONLY),
    "public:audit_checkpoints_json": everyone(GET_ONLY),
    "public:audit_chain_json": everyone(GET_ONLY),
    "public:audit_verify_script": everyone(GET_ONLY),
    "public:legal_version_text": everyone(GET_ONLY),
    # Notice subscriptions: an empty subscription is a 400 with the form's errors; a link whose
    # token is not one of ours is a page saying so (404), for everyone.
    "public:subscribe": everyone((200, 400)),
    "public:subscription_sent": everyone(GET_ONLY),
    "public:subscription_confirm": everyone(404, at={"token": "not-a-token"}),
    "public:unsubscribe": everyone(404, at={"token": "not-a-token"}),
    "api:not_found": everyone(404),
    # Staff sign-in: every signed-in person manages their own factors and password.
    # The engagement record: the planner adds and removes meetings before sign-off.
    "staff:engagement_add": staff(404, need_to_know=403, planner=(200, 400)),
    "staff:engagement_remove": staff(404, need_to_know=403, planner=404, at={"meeting_id": "999"}),
    # Each person's own public details (rank; a panel member's listing and interests).
    "staff:profile": staff(200),
    "staff:second_factor_verify": staff(302),
    "staff:second_factor_enrol": staff((200, 400)),
    "staff:account": staff(200),
    "staff:second_factor_backup_codes": staff((405, 200)),
    "staff:factor_remove": staff((405, 302), at={"persistent_id": "nothing"}),
    "staff:password_change": staff(200),
    "staff:factors_reset": staff(403, legal=(200, 400)),
    # Passkeys (django-otp-webauthn): the ceremony's steps answer POST only, to people
    # signed in with a password; an empty body is a 400. Anonymous is refused (403).
    "otp_webauthn:credential-registration-begin": staff((405, 200), anonymous=403),
    "otp_webauthn:credential-registration-complete": staff((405, 400), anonymous=403),
    "otp_webauthn:credential-authentication-begin": staff((405, 200), anonymous=403),
    "otp_webauthn:credential-authentication-complete": staff((405, 400), anonymous=403),
    "otp_webauthn:js-i18n-catalog": everyone(GET_ONLY),
    # --- signing in and out ------------------------------------------------------------------
    "staff:login": everyone(302, anonymous=200),
    "staff:logout": everyone((405, 302)),
    # --- the legal register: legal officers ---------------------------------------------------
    "staff:legal_documents": staff(403, legal=200),
    "staff:legal_version_create": staff(403, legal=200),
    "staff:legal_version_edit": staff(403, legal=200, at={"pk": "legal_draft"}),
    "staff:legal_version_publish": staff((405, 403), legal=(405, 302), at={"pk": "legal_draft"}),
    "staff:legal_version_withdraw": staff(
        (405, 403), legal=(405, 400), at={"pk": "legal_published"}
    ),
    # Engine evaluations are for all staff; attaching one is the legal officers'.
    "staff:evaluation_list": staff(GET_ONLY),
    "staff:evaluation_detail": staff(GET_ONLY, at={"pk": "evaluation"}),
    # A missing evaluation: the permission check comes first, and no PDF is rendered 20 times.
    "staff:evaluation_pdf": staff((404, 405), at={"pk": "missing"}),
    "staff:evaluation_attach": staff((405, 403), legal=(405, 400), at={"pk": "evaluation"}),
    # --- public questions: moderators ----------------------------------------------------------
    "staff:moderation_queue": staff((403, 405), moderator=GET_ONLY),
    "staff:moderation_publish": staff((405, 403), moderator=(405, 400), at={"pk": "question"}),
    "staff:moderation_remove": staff((405, 403), moderator=(405, 400), at={"pk": "question"}),
    # --- the watchlist: its planner (and operators, to look); a 404 to those not on it ---------
    "staff:watchlist": staff(404, **{NTK: 403}, planner=(200, 400), operator=(200, 403)),
    "staff:watchlist @public": staff(
        404, **{NTK: 403}, planner=(200, 409), operator=(200, 403), at={"reference": "public"}
    ),
    "staff:watchlist_entry_image": staff(
        404, **{NTK: 403}, planner=200, operator=200, at={"pk": "entry"}
    ),
    "staff:watchlist_entry_image @public": staff(
        404,
        **{NTK: 403},
        planner=200,
        operator=200,
        at={"reference": "public", "pk": "public_entry"},
    ),
    "staff:watchlist_entry_remove": staff(
        404, **{NTK: 403}, planner=(200, 400), at={"pk": "entry"}
    ),
    # --- the cameras: set by the planner before sign-off, seen by the operators too ---------------
    "staff:cameras": staff(404, **{NTK: 403}, planner=(200, 400), operator=(200, 403)),
    "staff:cameras @public": staff(
        404, **{NTK: 403}, planner=(200, 409), operator=(200, 403), at={"reference": "public"}
    ),
    "staff:camera_remove": staff(404, **{NTK: 403}, planner=(200, 302), at={"pk": "camera"}),
    "staff:camera_remove @public": staff(
        404, **{NTK: 403}, planner=409, at={"reference": "public", "pk": "public_camera"}
    ),
    # --- the console, runs and alerts: the deployment's operators --------------------------------
    "staff:console_index": staff(200),
    "staff:console": staff(404, **{NTK: 403}, operator=200, at={"reference": "public"}),
    # What an open console asks every second: who may open the console; a read, GET only.
    "staff:console_alerts": staff(
        (404, 405), **{NTK: (403, 405)}, operator=(200, 405), at={"reference": "public"}
    ),
    "staff:run_start": staff(
        (405, 404), **{NTK: (405, 403)}, operator=(405, 400), at={"reference": "public"}
    ),
    "staff:run_stop": staff((405, 404), operator=(405, 302), at={"pk": "run"}),
    "staff:alert_detail": staff(404, operator=(200, 400), at={"pk": "alert"}),
    "staff:alert_crop": staff(404, operator=200, at={"pk": "alert"}),
    # --- the register ----------------------------------------------------------------------------
    "staff:dashboard": staff(GET_ONLY),
    "staff:deployment_list": staff(GET_ONLY),
    # (A read-only page answers a POST with 405 before it looks at who asks or what: that
    # confirms nothing about a deployment the person may not see.)
    "staff:deployment_create": staff(403, planner=200, other_planner=200),
    # Authorised, with the panel, not public: only those who need to know it.
    "staff:deployment_detail": staff((404, 405), **{NTK: GET_ONLY}),
    # Signed off: everyone on staff opens it; those who do not need to know see the public view.
    "staff:deployment_detail @public": staff(GET_ONLY, at={"reference": "public"}),
    # A draft is its planner's alone.
    "staff:deployment_detail @draft": staff(
        (404, 405), planner=GET_ONLY, at={"reference": "draft"}
    ),
    "staff:deployment_edit": staff(404, **{NTK: 403}, planner=409),
    "staff:deployment_edit @draft": staff(404, planner=200, at={"reference": "draft"}),
    # Actions (GET shows the form, POST runs it; an empty form is a 400): withdraw by default.
    "staff:deployment_action": staff(404, **{NTK: 403}, planner=(200, 400)),
    "staff:deployment_action @review": staff(404, **{NTK: 403}, panel=409, at={"action": "review"}),
    "staff:deployment_action @sign_off": staff(
        404, **{NTK: 403}, chair=(200, 400), at={"action": "sign_off"}
    ),
    # Any authorising officer or the chair may suspend any deployment at any time.
    "staff:deployment_action @suspend": staff(
        403,
        authoriser=(200, 400),
        chair=(200, 400),
        at={"reference": "public", "action": "suspend"},
    ),
    # A conflict declared after the sign-off is refused with the reason (409).
    "staff:deployment_action @declare_conflict": staff(
        403, panel=409, at={"reference": "public", "action": "declare_conflict"}
    ),
    "staff:deployment_action @unknown": staff(404, at={"action": "no_such_action"}),
    # --- the frames API: a run's bearer token, never a session ---------------------------------
    "api:run_frames": everyone((405, 401)),
    # --- the Django admin: for superusers only; every role here is sent to its sign-in page -----
}
