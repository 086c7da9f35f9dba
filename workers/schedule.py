"""Celery beat entries."""

BEAT_SCHEDULE = {
    # Re-send render jobs whose message never reached a worker (broker down when the award was decided).
    "documents-sweep-stalled": {
        "task": "documents.sweep_stalled",
        "schedule": 60.0,
    },
}
