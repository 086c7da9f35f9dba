"""Celery beat entries. Run a single beat process; the reminders and digests are safe even if two run by mistake
(each one claims a unique key before it is sent)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Re-send render jobs whose message never reached a worker (broker down when the award was decided).
    "documents-sweep-stalled": {
        "task": "documents.sweep_stalled",
        "schedule": 60.0,
    },
    # Re-send e-mail delivery jobs that never ran.
    "notifications-sweep-queued": {
        "task": "notifications.sweep_queued",
        "schedule": 60.0,
    },
    # The open-data files written ahead of time (nothing is written when they are current; hourly in any case).
    "opendata-publish": {
        "task": "opendata.publish",
        "schedule": 300.0,
    },
    # Calls closing, evaluations and reports due: checked every hour, each reminder sent once.
    "notifications-reminders": {
        "task": "notifications.send_reminders",
        "schedule": crontab(minute=5),
    },
    # The daily digest for those who chose it, early in the morning (UTC) before European and African workdays.
    "notifications-digests": {
        "task": "notifications.send_digests",
        "schedule": crontab(hour=5, minute=0),
    },
}
