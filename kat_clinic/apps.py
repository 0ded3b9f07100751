from django.apps import AppConfig


class KatClinicConfig(AppConfig):
    name = "kat_clinic"
    label = "kat_clinic"
    verbose_name = "Clinics, staff and patients"
