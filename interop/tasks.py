"""Interop tasks: thin, safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="interop.bulk_export_build", ignore_result=True)
def bulk_export_build(export_id: int) -> None:
    from interop.fhir.bulk import bulk_export_build_files

    bulk_export_build_files(export_id=export_id)
