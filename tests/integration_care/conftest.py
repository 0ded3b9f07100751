from __future__ import annotations

# Check-ins travel as follow-ups: the engine's fixtures (recording provider, daytime) apply here too.
from tests.followups.conftest import daytime, provider_dir, sent  # noqa: F401
