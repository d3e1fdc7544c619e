"""JSON API v1: stock levels and adjustments for scripts and scanners, by bearer token."""

from functools import wraps

from flask import Blueprint, current_app, g, jsonify, request
from werkzeug.routing import PathConverter, ValidationError

from ..extensions import csrf, limiter
from ..staff import service as staff
from . import openapi, service

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Bearer tokens are never sent by a browser on its own, so there is no cross-site
# request to forge; the API never looks at the session cookie.
csrf.exempt(bp)
limiter.limit("300 per minute")(bp)


class SkuConverter(PathConverter):
    """A SKU in the path (it may hold slashes), but never the adjustments collection:
    `GET .../adjustments` is a 405 naming POST, not a lookup of SKU "X/adjustments"."""

    def to_python(self, value):
        if value.endswith("/adjustments"):
            raise ValidationError()
        return value


bp.record_once(lambda state: state.app.url_map.converters.setdefault("sku", SkuConverter))


def _refuse(status, code, message):
    response = jsonify(error=code, message=message, request_id=g.get("request_id"))
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="storefront"'
    return response


def token_required(*roles):
    """Run the view only for a valid bearer token of an account with one of `roles`."""

    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return _refuse(401, "unauthorized",
                               "Send an API token as 'Authorization: Bearer <token>'.")
            user = staff.user_for_token(token.strip())
            if user is None:
                return _refuse(401, "unauthorized", "This API token is unknown or revoked.")
            if not user.has_role(*roles):
                return _refuse(403, "forbidden",
                               f"This token belongs to a {user.role_label} account; "
                               f"stock needs a Warehouse or Administrator account.")
            g.api_user = user
            return view(*args, **kwargs)

        return guarded

    return decorator


@bp.get("/inventory/<sku:sku>")
@token_required("warehouse")
def stock(sku):
    return jsonify(service.stock(sku))


@bp.post("/inventory/<sku:sku>/adjustments")
@token_required("warehouse")
def adjust(sku):
    key = service.check_idempotency_key(request.headers.get("Idempotency-Key"))
    change = service.parse_adjustment(request.get_json(force=True, silent=True))
    levels, replayed = service.adjust(sku, change, user=g.api_user, idempotency_key=key)
    response = jsonify(levels | {"replayed": replayed})
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(openapi.document(current_app.config["PUBLIC_URL"]))
