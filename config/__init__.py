"""The project package: settings, URLs, WSGI, Celery, middleware and demo loading. It sits on top
of the apps (config → pathways → funding → panels → referrals → casework); nothing imports it."""

from config.celery import app as celery_app

__all__ = ["celery_app"]
