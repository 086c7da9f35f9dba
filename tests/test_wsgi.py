"""The WSGI entry point (wsgi.py), as gunicorn imports it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_served_app_starts_with_its_start_up_objects_out_of_the_collectors_sight(tmp_path):
    env = {
        **os.environ,
        "PORTAL_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "REDIS_URL": "",
        "STORAGE_DIR": str(tmp_path / "storage"),
    }
    code = "import gc, wsgi; print(wsgi.app.name, gc.get_freeze_count())"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    name, frozen = done.stdout.split()
    assert name == "portal"
    assert int(frozen) > 50_000  # the app, its models, routes and data (about 300,000 objects)
