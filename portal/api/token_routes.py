"""The API tokens page: a programme manager's own tokens, created (and shown once) and revoked here."""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.api.forms import CreateTokenForm
from portal.api.models import ApiToken
from portal.api.operations import ApiTokenError, create_token, revoke_token, tokens_of
from portal.core.access import load, role_required
from portal.core.db import utcnow
from portal.extensions import db

bp = Blueprint("api_tokens", __name__, url_prefix="/account/api-tokens")


def _page(form: CreateTokenForm, secret: str | None = None, created: ApiToken | None = None, status: int = 200):
    user = current_user._get_current_object()
    response = make_response(
        render_template(
            "api/tokens.html",
            form=form,
            tokens=tokens_of(user),
            secret=secret,
            created=created,
            now=utcnow(),
        ),
        status,
    )
    # The page may carry a token in clear: no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("", methods=["GET", "POST"])
@role_required("manager")
def index():
    form = CreateTokenForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            token, secret = create_token(user, form.name.data, form.expiry_days(), by=user)
        except ApiTokenError as err:
            db.session.rollback()
            for field, message in err.errors:
                target = getattr(form, field, None) if field else None
                if target is not None:
                    target.errors = [*target.errors, message]
                else:
                    form.form_errors.append(message)
            return _page(form, status=400)
        db.session.commit()
        # Shown on this response only (never put in the session or a redirect): a fresh form below it.
        return _page(CreateTokenForm(formdata=None), secret=secret, created=token, status=201)
    return _page(form, status=400 if form.errors else 200)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@role_required("manager")
def revoke(token_id: int):
    token = load(ApiToken, token_id, need="revoke")
    try:
        revoke_token(token, by=current_user._get_current_object())
    except ApiTokenError as err:
        db.session.rollback()
        flash(err.messages[0], "error")
    else:
        db.session.commit()
        flash(_("The token “%(name)s” is revoked: programs using it can no longer read the API.", name=token.name))
    return redirect(url_for("api_tokens.index"))
