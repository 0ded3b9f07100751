from django.apps import AppConfig


class ControlledConfig(AppConfig):
    name = "controlled"
    label = "controlled"
    verbose_name = "Controlled substances"

    def ready(self) -> None:
        # The container policy holds for a dose recorded any way: monitoring announces every dose
        # inside its transaction, and our receiver refuses a controlled one that no draw accompanies.
        from controlled.policy import refuse_controlled_dose_without_draw
        from monitoring.signals import dose_recorded

        dose_recorded.connect(refuse_controlled_dose_without_draw, dispatch_uid="controlled.container_policy")
