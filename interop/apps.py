from django.apps import AppConfig


class InteropConfig(AppConfig):
    """FHIR export, documents, calendar feeds, disclosures and outbound webhooks.

    The top of the dependency order: it reads every domain app, and none of them imports it.
    """

    name = "interop"
    label = "interop"
    verbose_name = "Interoperability and documents"

    def ready(self) -> None:
        # Webhooks: the apps below announce what happened; the outbox rows are written here, in the
        # sender's transaction, and the follow-up engine delivers them through our provider.
        from followups.channels import register_provider
        from interop.webhooks import receivers
        from interop.webhooks.delivery import WebhookProvider

        register_provider("webhook", WebhookProvider())
        receivers.connect()
