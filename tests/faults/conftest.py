"""The fault kit's fixtures (tests/celery_worker.py) for every test in this folder."""

from tests.celery_worker import database_proxy, private_redis, smtp_sink, start_worker  # noqa: F401
