"""The Atom feed of new notices and new results reports (`/feed.atom`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from audit.models import AuditCheckpoint
from audit.selectors import checkpoint_summary, latest_checkpoint

from .selectors import feed_entries, public_outcome

# (kind, object, when): kind "notice" or "report" with a trial, or "checkpoint" with the audit
# trail's latest signed checkpoint (one entry, replaced by each new checkpoint).
Entry = tuple[str, Any, datetime]


class TrialsFeed(Feed):
    feed_type = Atom1Feed
    title = "Live facial recognition trials: notices and results"
    subtitle = (
        "A notice is published when the ethics panel's chair signs a trial off, before it "
        "happens; results are published after it."
    )
    author_name = "Oversight"

    def link(self) -> str:
        return reverse("public:trial_list")

    def feed_guid(self) -> str:
        return settings.SITE_URL + reverse("public:feed")

    def items(self) -> list[Entry]:
        entries: list[Entry] = list(feed_entries())
        checkpoint = latest_checkpoint()
        if checkpoint is not None:
            entries.append(("checkpoint", checkpoint, checkpoint.signed_at))
            entries.sort(key=lambda e: e[2], reverse=True)
        return entries

    def item_title(self, item: Entry) -> str:
        kind, trial, _ = item
        if kind == "checkpoint":
            return f"Audit trail checkpoint: {trial.size:,} entries, signed {trial.signed_at_text}"
        where = f"{trial.site.name}, {trial.site.area.name}" if trial.site else trial.reference
        when = timezone.localtime(trial.starts_at).strftime("%-d %B %Y") if trial.starts_at else ""
        if kind == "report":
            return f"Results: {where}, {when} ({trial.reference})"
        return f"Notice: live facial recognition at {where} on {when} ({trial.reference})"

    def item_description(self, item: Entry) -> str:
        kind, trial, _ = item
        if kind == "checkpoint":
            return _checkpoint_description(trial)
        use_case = str(trial.use_case) if trial.use_case else ""
        if kind == "report":
            outcome = public_outcome(trial)
            if outcome is None:
                return f"The results of {trial.reference} are published."
            return (
                f"{outcome.faces_seen:,} faces seen (estimate), {outcome.total_alerts:,} "
                f"alerts, {outcome.false_alerts:,} false alerts, {outcome.arrests:,} arrests."
            )
        start = timezone.localtime(trial.starts_at) if trial.starts_at else None
        end = timezone.localtime(trial.ends_at) if trial.ends_at else None
        window = f"{start:%-d %B %Y, %H:%M} to {end:%H:%M}" if start and end else ""
        return f"{window}. Use case {use_case}."

    def item_link(self, item: Entry) -> str:
        kind, trial, _ = item
        if kind == "checkpoint":
            return reverse("public:audit")
        return trial.get_public_url() + ("#results" if kind == "report" else "")

    def item_guid(self, item: Entry) -> str:
        # A notice and its later report are two entries: each needs its own permanent id.
        kind, trial, _ = item
        if kind == "checkpoint":
            return f"{settings.SITE_URL}{reverse('public:audit')}#checkpoint-{trial.pk}"
        return f"{settings.SITE_URL}{trial.get_public_url()}#{kind}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Entry) -> datetime:
        return item[2]

    def item_updateddate(self, item: Entry) -> datetime:
        return item[2]


def _checkpoint_description(checkpoint: AuditCheckpoint) -> str:
    return (
        "The register signed this checkpoint of its audit trail. Keep a copy: it lets anyone "
        "show later that the trail was not cut short or rewritten. "
        f"{checkpoint_summary(checkpoint)}"
    )
