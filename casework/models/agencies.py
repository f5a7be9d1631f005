"""Agencies and their teams: who a person works for, and who may see a child."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class AgencyKind(models.TextChoices):
    CHILDRENS_SERVICES = "childrens_services", "Council children's services"
    SEN = "sen", "Council SEN and education"
    ICB = "icb", "NHS Integrated Care Board"
    NHS_TRUST = "nhs_trust", "NHS trust"
    SCHOOL = "school", "School"
    OTHER = "other", "Other"


NHS_KINDS = {AgencyKind.ICB, AgencyKind.NHS_TRUST}


class Agency(models.Model):
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=30, choices=AgencyKind.choices)
    ods_code = models.CharField(
        "ODS code", max_length=10, blank=True, help_text="Organisation Data Service code, for NHS bodies"
    )
    partnership = models.CharField(
        max_length=200, blank=True, help_text='For example "Hampshire and Isle of Wight"', db_index=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name

    @property
    def is_nhs(self) -> bool:
        return self.kind in NHS_KINDS

    def clean(self) -> None:
        self.ods_code = self.ods_code.strip().upper()
        if self.is_nhs and not self.ods_code:
            raise ValidationError({"ods_code": "Enter the ODS code: every NHS body has one, like QRL"})
        if self.ods_code and not re.fullmatch(r"[A-Z0-9]{3,6}", self.ods_code):
            raise ValidationError({"ods_code": "Enter an ODS code of 3 to 6 letters and numbers, like QRL"})


class Team(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["agency__name", "name"]
        constraints = [models.UniqueConstraint(fields=["agency", "name"], name="team_unique_name_in_agency")]

    def __str__(self) -> str:
        return f"{self.name} ({self.agency.name})"
