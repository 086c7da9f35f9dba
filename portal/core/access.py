"""Access checks used by every route.

Coarse rules are decorators (`@role_required("manager")`); object rules live on the models
(`proposal.can_view(user)`), and `load()` combines the fetch with the check: 404 for what the user may not
know exists, 403 for what they may see but not do."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from portal.extensions import db

T = TypeVar("T")

# Every route is marked with exactly one of these so that the access-matrix test can tell which rule it
# follows; a route without a marker fails that test.
ACCESS_ATTR = "_access_rule"


def public(view: Callable) -> Callable:
    """Readable by anyone, signed in or not."""
    setattr(view, ACCESS_ATTR, "public")
    return view


def authenticated(view: Callable) -> Callable:
    """Any signed-in user; the view narrows further by object."""
    wrapped = login_required(view)
    setattr(wrapped, ACCESS_ATTR, "authenticated")
    return wrapped


def role_required(*roles: str) -> Callable[[Callable], Callable]:
    """Signed-in users whose role is one of `roles`; "manager" also admits admins."""
    allowed = set(roles)
    if "manager" in allowed:
        allowed.add("admin")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapped = login_required(wrapper)
        setattr(wrapped, ACCESS_ATTR, "roles:" + ",".join(sorted(allowed)))
        return wrapped

    return decorator


def load(model: type[T], ident: Any, need: str = "view") -> T:
    """Fetch an object and check that the current user may `need` it (`can_view`, `can_edit`, ...)."""
    obj = db.session.get(model, ident)
    if obj is None or not obj.can_view(current_user):
        abort(404)
    if need != "view" and not getattr(obj, f"can_{need}")(current_user):
        abort(403)
    return obj
