from __future__ import annotations

import pytest

from nb2prod.config import Settings
from nb2prod.rules import ALL_RULES


@pytest.fixture
def all_rules() -> Settings:
    return Settings(frozenset(ALL_RULES))
