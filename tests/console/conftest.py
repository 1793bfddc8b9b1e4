from datetime import UTC, datetime

import pytest
import time_machine

NOW = datetime(2026, 11, 10, 14, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller
