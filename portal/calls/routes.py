"""Calls for proposals: the public list and page of each call, and the managers' pages to create, edit and
publish calls."""

from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.calls import queries
from portal.calls.forms import CallForm, add_errors
from portal.calls.models import Call, Dialogue, JvapDomain
from portal.calls.operations import CallError, create_call, edit_refusal, publish_call, update_call, utc_to_local
from portal.core import countries
from portal.core.access import load, public, role_required
from portal.core.db import utcnow
from portal.core.i18n import locale_code, select_timezone
from portal.extensions import db
from portal.proposals.states import STATUS_LABELS

log = logging.getLogger(__name__)
bp = Blueprint("calls", __name__, url_prefix=None)


def _form(**kwargs) -> CallForm:
    form = CallForm(**kwargs)
    form.set_choices(
        db.session.scalars(select(Dialogue).order_by(Dialogue.id)),
        db.session.scalars(select(JvapDomain).order_by(JvapDomain.number)),
        countries.choices(locale_code()),
    )
    return form


def _initial(call: Call) -> dict:
    return {
        "version": call.version_id,
        "reference": call.reference,
        "title": call.title,
        "description": call.description,
        "budget_envelope": call.budget_envelope,
        "min_grant": call.min_grant,
        "max_grant": call.max_grant,
        "dialogues": [d.id for d in call.dialogues],
        "domains": [d.id for d in call.domains],
        "countries": call.countries,
        "opens_at": utc_to_local(call.opens_at, call.timezone),
        "closes_at": utc_to_local(call.closes_at, call.timezone),
        "timezone": call.timezone,
    }


@bp.route("/calls", methods=["GET"])
@public
def public_list():
    now = utcnow()
    return render_template(
        "calls/public_list.html", calls=queries.public_calls(now), now=now, reader_tz=select_timezone()
    )


@bp.route("/calls/<int:call_id>", methods=["GET"])
@public
def public_view(call_id: int):
    load(Call, call_id)  # 404 for drafts unless staff
    call = queries.call_with_details(call_id)
    return render_template(
        "calls/public_view.html", call=call, now=utcnow(), reader_tz=select_timezone(), phase=call.phase()
    )


@bp.route("/manage/calls", methods=["GET"])
@role_required("manager")
def manage_list():
    calls = queries.manage_calls()
    return render_template(
        "calls/manage_list.html",
        calls=calls,
        counts=queries.proposal_counts_by_call(),
        status_labels=STATUS_LABELS,
        now=utcnow(),
    )


@bp.route("/manage/calls/new", methods=["GET", "POST"])
@role_required("manager")
def create():
    form = _form()
    if form.validate_on_submit():
        try:
            call = create_call(form.to_data(), by=current_user)
            db.session.commit()
        except CallError as exc:
            db.session.rollback()
            add_errors(form, exc.errors)
        else:
            flash(_("Call %(reference)s created as a draft.", reference=call.reference), "success")
            return redirect(url_for("calls.manage_view", call_id=call.id))
    return render_template("calls/form.html", form=form, call=None), 422 if form.errors else 200


@bp.route("/manage/calls/<int:call_id>", methods=["GET"])
@role_required("manager")
def manage_view(call_id: int):
    load(Call, call_id, need="manage")
    call = queries.call_with_details(call_id)
    proposals = queries.call_proposals(call)
    return render_template(
        "calls/manage_view.html",
        call=call,
        proposals=proposals,
        counts=queries.proposal_counts_by_call([call.id]).get(call.id, {}),
        status_labels=STATUS_LABELS,
        edit_refusal=edit_refusal(call),
        reader_tz=select_timezone(),
        phase=call.phase(),
    )


@bp.route("/manage/calls/<int:call_id>/edit", methods=["GET", "POST"])
@role_required("manager")
def edit(call_id: int):
    call = load(Call, call_id, need="manage")
    refusal = edit_refusal(call)
    if refusal:
        flash(refusal, "error")
        return redirect(url_for("calls.manage_view", call_id=call.id))
    form = _form(data=_initial(call))
    if form.validate_on_submit():
        try:
            expected = int(form.version.data) if str(form.version.data or "").isdigit() else None
            update_call(call, form.to_data(), by=current_user, expected_version=expected)
            db.session.commit()
        except CallError as exc:
            db.session.rollback()
            add_errors(form, exc.errors)
        else:
            flash(_("Call %(reference)s saved.", reference=call.reference), "success")
            return redirect(url_for("calls.manage_view", call_id=call.id))
    return render_template("calls/form.html", form=form, call=call), 422 if form.errors else 200


@bp.route("/manage/calls/<int:call_id>/publish", methods=["POST"])
@role_required("manager")
def publish(call_id: int):
    call = load(Call, call_id, need="manage")
    try:
        publish_call(call, by=current_user)
        db.session.commit()
    except CallError as exc:
        db.session.rollback()
        for message in exc.messages:
            flash(message, "error")
    else:
        flash(_("Call %(reference)s is published and visible to applicants.", reference=call.reference), "success")
    return redirect(url_for("calls.manage_view", call_id=call.id))
