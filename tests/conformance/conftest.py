"""The Java reference as a session fixture: skipped with the reason where Java or the jars are missing,
and a failure instead of a skip where ``GENESYS_NB_REQUIRE_REFERENCE=1`` (CI sets it)."""
from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from .reference import JavaReference, ReferenceUnavailable


@pytest.fixture(scope="session")
def java_reference() -> Iterator[JavaReference]:
    try:
        ref = JavaReference()
    except ReferenceUnavailable as exc:
        if os.environ.get("GENESYS_NB_REQUIRE_REFERENCE") == "1":
            pytest.fail(f"the Java reference is required here and unavailable: {exc}")
        pytest.skip(f"the Java reference is unavailable: {exc}")
    yield ref
    ref.close()
