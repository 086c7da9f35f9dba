"""The worker's entry point: `celery -A workers.celery_app worker` / `beat`.

Builds the Flask app (so tasks run in its context) and exposes its Celery app with the beat schedule."""

from dotenv import load_dotenv

load_dotenv()

from portal import create_app  # noqa: E402
from workers.schedule import BEAT_SCHEDULE  # noqa: E402

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
celery_app.conf.beat_schedule = BEAT_SCHEDULE
celery_app.autodiscover_tasks(
    ["portal.documents", "portal.notifications", "portal.opendata"], related_name="tasks", force=True
)
app = celery_app
