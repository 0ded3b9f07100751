from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "followups"
    label = "followups"
    verbose_name = "Follow-ups"

    def ready(self) -> None:
        # The apps below announce what happened; the follow-ups it means are planned here, in the
        # sender's transaction.
        from followups import receivers

        receivers.connect()
