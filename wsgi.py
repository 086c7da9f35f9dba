"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

from dotenv import load_dotenv

load_dotenv()

from portal import create_app  # noqa: E402

app = create_app()
celery_app = app.extensions["celery"]
