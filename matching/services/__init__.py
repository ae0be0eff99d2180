"""Every change the engine makes: watchlists and enrolment, runs and frames, alerts, retention.

Services lock what they change, check who may act, write the audit trail and raise domain
errors. The gate is asked outside the services' own transactions (see gate.py), so that a
refusal's audit event is never rolled back with the work it refused.

Privacy: faces that match no one stay inside `engine.process_frame`. Nothing here logs,
stores or returns anything about them beyond the count of faces seen; alerts (and their
crops) are written only for matches.
"""

from __future__ import annotations

from ._common import (
    RunNotRunning,
    TokenExpired,
    TokenInvalid,
    check_manage_cameras,
    check_manage_watchlist,
    check_operate,
)
from .alerts import ADJUDICATION_FIELDS, alert_adjudicate
from .cameras import camera_add, camera_remove, cameras_pin_at_sign_off, check_cameras_open
from .outcome import outcome_fill_from_runs
from .retention import PurgeReport, retention_purge
from .runs import (
    BatchResult,
    Frame,
    GateClosed,
    RunStart,
    frame_discard,
    run_authenticate,
    run_process_batch,
    run_start,
    run_stop,
)
from .urgent import urgent_use_discard
from .watchlists import (
    watchlist_enrol,
    watchlist_entry_add,
    watchlist_entry_remove,
    watchlist_fingerprint,
    watchlist_pin_at_sign_off,
)

__all__ = [
    "ADJUDICATION_FIELDS",
    "BatchResult",
    "Frame",
    "GateClosed",
    "PurgeReport",
    "RunNotRunning",
    "RunStart",
    "TokenExpired",
    "TokenInvalid",
    "alert_adjudicate",
    "camera_add",
    "camera_remove",
    "cameras_pin_at_sign_off",
    "check_cameras_open",
    "check_manage_cameras",
    "check_manage_watchlist",
    "check_operate",
    "frame_discard",
    "outcome_fill_from_runs",
    "retention_purge",
    "run_authenticate",
    "run_process_batch",
    "run_start",
    "run_stop",
    "urgent_use_discard",
    "watchlist_enrol",
    "watchlist_entry_add",
    "watchlist_entry_remove",
    "watchlist_fingerprint",
    "watchlist_pin_at_sign_off",
]
