"""Census figures: the residents of each area by ethnic group (Census 2021 TS021)."""

from __future__ import annotations

from django.db import models

from deployments.models import Area


class EthnicGroup(models.TextChoices):
    """Census 2021 TS021's five high-level ethnic groups, with the ONS's own names."""

    ASIAN = "asian", "Asian, Asian British or Asian Welsh"
    BLACK = "black", "Black, Black British, Black Welsh, Caribbean or African"
    MIXED = "mixed", "Mixed or Multiple ethnic groups"
    WHITE = "white", "White"
    OTHER = "other", "Other ethnic group"


class AreaGroupCount(models.Model):
    """Usual residents of an area in one census group (Census 2021 TS021)."""

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="group_counts")
    group = models.CharField(max_length=12, choices=EthnicGroup.choices)
    count = models.PositiveIntegerField()

    class Meta:
        ordering = ["area", "group"]
        constraints = [
            models.UniqueConstraint(fields=["area", "group"], name="one_count_per_area_group")
        ]

    def __str__(self) -> str:
        return f"{self.area}: {self.get_group_display()} {self.count}"
