"""Vocabulary shared by templates, plans, sessions and charting."""

from django.db import models


class Pathway(models.TextChoices):
    INFUSION_ONLY = "infusion_only", "Infusion only"
    KAT = "kat", "Ketamine-assisted therapy"


class SessionKind(models.TextChoices):
    MEDICAL_INTAKE = "medical_intake", "Medical intake"
    PREPARATION = "preparation", "Preparation"
    DOSING = "dosing", "Dosing"
    INTEGRATION = "integration", "Integration"
    CHECK_IN = "check_in", "Check-in"


class Medication(models.TextChoices):
    KETAMINE = "ketamine", "Ketamine (racemic)"
    ESKETAMINE = "esketamine", "Esketamine (Spravato)"


class Route(models.TextChoices):
    IV = "iv", "Intravenous"
    IM = "im", "Intramuscular"
    INTRANASAL = "intranasal", "Intranasal"
    SUBLINGUAL = "sublingual", "Sublingual"
    ORAL = "oral", "Oral"


class StaffMode(models.TextChoices):
    EXCLUSIVE = "exclusive", "Exclusive (with one patient for the whole range)"
    SHARED = "shared", "Shared (monitors up to N patients at once)"
    PRESENT = "present", "Present (on site, not tied up)"


class Scale(models.TextChoices):
    """Rating scales the clinic gives (measurement-based care)."""

    PHQ9 = "phq9", "PHQ-9 (depression)"
    GAD7 = "gad7", "GAD-7 (anxiety)"
    PCL5 = "pcl5", "PCL-5 (PTSD)"
    CSSRS = "cssrs", "C-SSRS screener (suicide risk)"
