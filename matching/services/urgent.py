"""Deleting what an urgent use produced, once the panel refused it or did not decide in time.

Article 5(3) of the EU AI Act: if authorisation of urgent use is refused, "all the data, results
and outputs of that use shall be immediately discarded and deleted". The register calls this
through its `urgent_discards` hook, inside the transaction that records the refusal or lapse
with the deployment row locked, so a batch of frames cannot save an alert after it (see
`run_process_batch`).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from deployments.models import Deployment
from matching.models import Alert, Run, Watchlist

from ._common import _delete_file
from .retention import watchlist_biometrics_delete
from .runs import _forget_matchers, run_stop


@transaction.atomic
def urgent_use_discard(*, deployment: Deployment) -> dict[str, int]:
    """Stop the runs and delete every alert (rows and crops) and the watchlist's encodings
    and images; audited with the counts, which are returned for the notice.

    Files are deleted inside the transaction that clears their rows, as retention does: a
    failed transaction leaves rows naming files already gone, never a file no row names.
    Alerts kept as evidence are deleted too: the Act allows no exception.
    """
    now = timezone.now()
    for run in Run.objects.filter(deployment=deployment, stopped_at__isnull=True):
        run_stop(
            run=run,
            by="gate",
            code="urgent_refused",
            reason="The urgent use was refused or not decided on in time.",
        )
    alerts = list(Alert.objects.select_for_update().filter(run__deployment=deployment))
    crops = 0
    for alert in alerts:
        if alert.crop:
            _delete_file(alert.crop)
            crops += 1
    Alert.objects.filter(pk__in=[a.pk for a in alerts]).delete()
    images = encodings = 0
    watchlist = Watchlist.objects.select_for_update().filter(deployment=deployment).first()
    if watchlist is not None:
        images, encodings = watchlist_biometrics_delete(watchlist, now)
    counts = {"alerts": len(alerts), "crops": crops, "encodings": encodings, "images": images}
    audit_record(actor="gate", action="urgent_use.data_deleted", obj=deployment, details=counts)
    # Matchers cached in this process hold the encodings in memory.
    _forget_matchers()
    return counts
