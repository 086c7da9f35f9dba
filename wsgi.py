"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import gc

from dotenv import load_dotenv

load_dotenv()

from portal import create_app  # noqa: E402

app = create_app()
celery_app = app.extensions["celery"]

# What starting made (the app, its models and routes, Babel's and pycountry's data: about 300,000 objects) lives as
# long as the process: it is taken out of the garbage collector's sight. Otherwise every full collection walked all
# of it again: 235 ms on the benchmark's machine, once every few hundred requests of a worker, a page's p99 at one
# connection (docs/benchmarks-notes.md). Objects made later are collected as before.
gc.freeze()
