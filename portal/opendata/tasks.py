"""Celery tasks of the open-data area: publishing the IATI and 360Giving files ahead of time
(portal/opendata/publication.py). Idempotent: a run that finds the files current writes nothing."""

from __future__ import annotations

import logging

from celery import shared_task

from portal.opendata import publication

log = logging.getLogger(__name__)


@shared_task(
    name="opendata.publish",
    bind=True,
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=3,
)
def publish_open_data(self, force: bool = False) -> bool:
    return publication.publish(force=force)  # reads only: nothing to commit (the task's context removes the session)
