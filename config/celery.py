"""The Celery application. Settings come from config/settings.py (CELERY_* names).

With no broker configured (the embedded default) tasks run in-process after the commit.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("casework")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
