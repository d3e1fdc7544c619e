"""The OpenAPI 3.1 description of the JSON API; tests check real responses against it."""

from ..inventory.service import STAFF_REASONS

_ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "A stable code, e.g. would_break_stock."},
        "message": {"type": "string", "description": "What went wrong, for people."},
        "request_id": {"type": ["string", "null"]},
    },
}

_LEVELS = {
    "type": "object",
    "required": ["sku", "on_hand", "reserved", "committed", "available"],
    "properties": {
        "sku": {"type": "string"},
        "on_hand": {"type": "integer", "minimum": 0, "description": "Units in the warehouse."},
        "reserved": {"type": "integer", "minimum": 0,
                     "description": "Units held by open checkouts."},
        "committed": {"type": "integer", "minimum": 0,
                      "description": "Units sold and paid, not yet shipped."},
        "available": {"type": "integer", "minimum": 0,
                      "description": "on_hand - reserved - committed; never negative."},
    },
}

# The reasons staff may give, exactly those the inventory service accepts.
REASONS = list(STAFF_REASONS)


def _error_response(description):
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def document(public_url):
    """The OpenAPI document, with the server URL of this shop."""
    sku = {"name": "sku", "in": "path", "required": True, "schema": {"type": "string"},
           "description": "The variant's SKU, e.g. SF-WALK-8-W-NAVY."}
    auth_errors = {
        "400": _error_response("The request itself is unreadable: NUL characters, or JSON "
                               "nested too deeply."),
        "401": _error_response("No token, or an unknown or revoked one."),
        "403": _error_response("The token's account may not manage stock (e.g. marketing)."),
        "404": _error_response("No variant has this SKU."),
        "429": _error_response("Too many requests; slow down."),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Storefront stock API",
            "version": "1.0.0",
            "description": (
                "Read and change a variant's stock. Authenticate with "
                "'Authorization: Bearer <token>' (create one with "
                "`flask --app wsgi staff token EMAIL`) for a warehouse or admin account."
            ),
        },
        "servers": [{"url": f"{public_url}/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/inventory/{sku}": {
                "get": {
                    "operationId": "getStock",
                    "summary": "Current stock counters of one variant",
                    "parameters": [sku],
                    "responses": {
                        "200": {"description": "The counters.", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Levels"}}}},
                        **auth_errors,
                    },
                },
            },
            "/inventory/{sku}/adjustments": {
                "post": {
                    "operationId": "adjustStock",
                    "summary": "Change on hand by a delta, with a reason",
                    "parameters": [sku, {
                        "name": "Idempotency-Key", "in": "header", "required": False,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 120,
                                   "pattern": "^[ -~]+$"},
                        "description": (
                            "Send the same key again (e.g. after a timeout) and the change "
                            "is not applied twice; the reply has replayed=true. Printable "
                            "ASCII only."
                        ),
                    }],
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Adjustment"}}}},
                    "responses": {
                        "200": {"description": "Applied (or replayed); the new counters.",
                                "content": {"application/json": {"schema": {
                                    "$ref": "#/components/schemas/AdjustmentResult"}}}},
                        **auth_errors,
                        "409": _error_response(
                            "Refused: on hand would drop below the units reserved or "
                            "committed. The message names them; nothing changed."),
                        "422": _error_response(
                            "Bad input: delta not a non-zero whole number within limits, "
                            "unknown reason, or an Idempotency-Key reused for another change."),
                    },
                },
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Levels": _LEVELS,
                "AdjustmentResult": {
                    "allOf": [{"$ref": "#/components/schemas/Levels"}],
                    "type": "object",
                    "required": ["replayed"],
                    "properties": {"replayed": {"type": "boolean"}},
                },
                "Adjustment": {
                    "type": "object",
                    "required": ["delta", "reason"],
                    "additionalProperties": False,
                    "properties": {
                        "delta": {"type": "integer", "minimum": -1_000_000,
                                  "maximum": 1_000_000, "not": {"const": 0},
                                  "description": "Units to add (positive) or remove."},
                        "reason": {"type": "string", "enum": REASONS},
                        "note": {"type": ["string", "null"], "maxLength": 500},
                    },
                },
                "Error": _ERROR,
            },
        },
    }
