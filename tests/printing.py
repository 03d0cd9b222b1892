"""LibreOffice for the print tests: its path, or a skip where it is not installed — and a
failure under CI (`.ci/run` exports CI=1 and installs libreoffice-calc), so a missing
LibreOffice never hides a print test there."""
from __future__ import annotations

import os
import shutil

import pytest


def soffice_or_skip() -> str:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is not installed; .ci/run should have installed it")
        pytest.skip("LibreOffice is not installed (CI installs libreoffice-calc)")
    return soffice
