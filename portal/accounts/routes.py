"""STUB: to be replaced by the area's real routes."""

from flask import Blueprint

from portal.core.access import authenticated, public, role_required  # noqa: F401

bp = Blueprint("accounts", __name__, url_prefix=None)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    return "stub accounts.login"


@bp.route("/logout", methods=["POST"])
@authenticated
def logout():
    return "stub accounts.logout"


@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    return "stub accounts.register"


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password():
    return "stub accounts.forgot_password"


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token):
    return "stub accounts.reset_password"


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token):
    return "stub accounts.accept_invitation"


@bp.route("/account", methods=["GET", "POST"])
@authenticated
def account():
    return "stub accounts.account"
