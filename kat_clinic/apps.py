from django.apps import AppConfig
from django.db.models.signals import post_migrate


class KatClinicConfig(AppConfig):
    name = "kat_clinic"
    label = "kat_clinic"
    verbose_name = "Clinics, staff and patients"

    def ready(self) -> None:
        from kat_clinic import checks, db_roles, instances_from_rows  # noqa: F401 - checks registers the system checks
        from kat_clinic.api import times

        times.install()  # aware date-times and plausible dates in every ModelSerializer
        instances_from_rows.install()  # rows become instances without Model.__init__'s general path

        # Once per migrate (this app's post_migrate), after every trigger of every app is installed.
        post_migrate.connect(db_roles.after_migrate, sender=self, dispatch_uid="kat_clinic.db_roles.after_migrate")
