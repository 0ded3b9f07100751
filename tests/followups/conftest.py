from __future__ import annotations

import datetime as dt

import pytest

from tests.followups.recording_provider import sent_counts

RECORDING = "tests.followups.recording_provider.RecordingProvider"


@pytest.fixture
def provider_dir(tmp_path, monkeypatch, settings):
    """Route email and SMS to the recording provider; returns a function giving counts per key."""
    monkeypatch.setenv("FOLLOWUP_TEST_PROVIDER_DIR", str(tmp_path))
    settings.FOLLOWUP_SMS_PROVIDER = RECORDING
    settings.FOLLOWUP_EMAIL_PROVIDER = RECORDING
    return tmp_path


@pytest.fixture
def sent(provider_dir):
    return lambda: sent_counts(provider_dir)


@pytest.fixture
def daytime(clinic):
    """Noon at the clinic, outside its quiet hours."""
    return dt.datetime(2026, 6, 10, 12, 0, tzinfo=clinic.tz)
