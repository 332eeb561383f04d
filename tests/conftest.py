"""Shared test fixtures.

``shared_data`` points at the real data kept beside the repository (``../shared/data``) or at
``$SEQLENS_SHARED_DATA``; tests that need it skip cleanly on a user's fresh clone.
"""

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(os.environ.get("SEQLENS_SHARED_DATA", Path(__file__).resolve().parents[1] / "../shared/data")).resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ../shared/data; skips the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA
