"""Home page (each role lands on its own page), language switch, and the health check."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import text

from portal.core import audit, storage
from portal.core.access import public
from portal.core.urls import is_local_path
from portal.extensions import db

log = logging.getLogger(__name__)
bp = Blueprint("main", __name__)


@bp.route("/")
@public
def home():
    if current_user.is_authenticated:
        if current_user.is_staff:
            return redirect(url_for("calls.manage_list"))
        if current_user.is_evaluator:
            return redirect(url_for("evaluation.queue"))
        return redirect(url_for("proposals.dashboard"))
    return render_template("main/home.html")


@bp.route("/language/<code>", methods=["POST"])
@public
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
        if current_user.is_authenticated and current_user.locale != code:
            audit.record(
                "user.language_changed",
                current_user,
                actor=current_user,
                before={"locale": current_user.locale},
                after={"locale": code},
            )
            current_user.locale = code
            db.session.commit()
    target = request.form.get("next") or ""
    if not is_local_path(target):
        target = url_for("main.home")
    return redirect(target)


@bp.route("/healthz")
@public
def healthz():
    """Database, broker and file storage reachability, for load balancers and `docker compose` health checks."""
    body = {"status": "ok", "database": "ok", "broker": "ok", "storage": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("health check: database unreachable: %s", exc)
        db.session.rollback()
        body["database"] = "unreachable"
    celery = current_app.extensions["celery"]
    if celery.conf.task_always_eager:
        body["broker"] = "eager"
    else:
        try:
            with celery.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
        except Exception as exc:
            log.warning("health check: broker unreachable: %s", exc)
            body["broker"] = "unreachable"
    try:
        storage.ping()
    except storage.StorageError as exc:
        log.warning("health check: storage unreachable: %s", exc)
        body["storage"] = "unreachable"
    failing = [part for part in ("database", "broker", "storage") if body[part] == "unreachable"]
    if failing:
        body["status"] = "failing"
        body["failing"] = failing
        return jsonify(body), 503
    return jsonify(body)
