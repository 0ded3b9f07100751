from django.apps import AppConfig


class InteropConfig(AppConfig):
    """FHIR export, documents, calendar feeds, disclosures and outbound webhooks.

    The top of the dependency order: it reads every domain app, and none of them imports it.
    """

    name = "interop"
    label = "interop"
    verbose_name = "Interoperability and documents"
