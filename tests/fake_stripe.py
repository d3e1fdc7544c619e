"""A local, stateful stand-in for the parts of the Stripe API the shop uses.

It runs as a real HTTP server in a thread, so the real `stripe` client talks to
it through `StripeClient(base_addresses={"api": fake.url})`. It keeps Checkout
Sessions, payment intents and refunds, honours Idempotency-Key headers the way
Stripe does (same key and parameters: the first answer again; same key, other
parameters: an idempotency_error), and signs webhook events exactly as Stripe
does: `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, f"{t}.{payload}")>`.

Tests drive what happens on Stripe's side (a shopper paying, a session
expiring, a refund made in the dashboard, a refund that stays pending then
fails, a bank debit that settles days later, a dispute) with the helper
methods, then deliver the matching event to the shop's webhook.

Objects come back in the shape of the API version the request names
(`Stripe-Version`): a Checkout Session's address sits in `shipping` before
2022-08-01, in `shipping_details` before 2025-03-31, and under
`collected_information` from then on; `shaped()` gives the same for events.
"""

import copy
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

API_KEY = "sk_test_fake_key"
WEBHOOK_SECRET = "whsec_fake_secret"
MIN_SESSION_SECONDS = 30 * 60
MAX_SESSION_SECONDS = 24 * 60 * 60
LATEST_VERSION = "2025-06-30.basil"


class StripeFailure(Exception):
    def __init__(self, status, error_type, message, code=None):
        super().__init__(message)
        self.status, self.error_type, self.message, self.code = status, error_type, message, code

    def body(self):
        error = {"type": self.error_type, "message": self.message}
        if self.code:
            error["code"] = self.code
        return {"error": error}


def _new_id(prefix):
    return f"{prefix}_test_{secrets.token_hex(12)}"


def parse_params(pairs):
    """Stripe's form encoding (a[b][0][c]=v) back into nested dicts and lists."""
    root = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def listify(node):
        if not isinstance(node, dict):
            return node
        node = {k: listify(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
        return node

    return listify(root)


def shaped(obj, version):
    """`obj` as the API version `version` shapes it (only Checkout Sessions differ here)."""
    if not isinstance(obj, dict) or obj.get("object") != "checkout.session":
        if isinstance(obj, dict) and obj.get("object") == "list":
            return dict(obj, data=[shaped(item, version) for item in obj["data"]])
        return obj
    obj = copy.deepcopy(obj)
    day = version[:10]
    if day < "2025-03-31":
        collected = obj.pop("collected_information", None) or {}
        details = collected.get("shipping_details")
        obj["shipping_details" if day >= "2022-08-01" else "shipping"] = details
    return obj


# Stripe's three-decimal currencies: their amounts must end in 0.
THREE_DECIMAL = {"bhd", "jod", "kwd", "omr", "tnd"}
# The fake account's card statement prefix: the longest Stripe allows (10), so a suffix
# that fits here fits every account (prefix, "* " and suffix: at most 22 characters).
STATEMENT_PREFIX = "STRIDEADPT"


def _int(value, name):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StripeFailure(400, "invalid_request_error", f"Invalid integer: {name}") from None


class FakeStripe:
    """The state of the fake Stripe account, plus the HTTP server that serves it."""

    def __init__(self, api_key=API_KEY, webhook_secret=WEBHOOK_SECRET):
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.lock = threading.RLock()
        self.server = None
        self.reset()

    # -- lifecycle ------------------------------------------------------------------

    def reset(self):
        with self.lock:
            self.sessions = {}
            self.payment_intents = {}
            self.refunds = {}
            self.idempotent = {}
            self.requests = []
            self.versions = []
            self.failing = set()
            self.disputes = {}
            # The status a new refund starts in: "pending" for a bank that takes its time.
            self.refund_status = "succeeded"
            # Stripe Tax's rate for every address and tax code (automatic_tax sessions).
            self.tax_basis_points = 800

    def start(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake._serve(self, "GET")

            def do_POST(self):
                fake._serve(self, "POST")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    @property
    def url(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    # -- HTTP ---------------------------------------------------------------------

    def _serve(self, handler, method):
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length).decode() if length else ""
        params = parse_params(parse_qsl(raw if method == "POST" else split.query,
                                        keep_blank_values=True))
        key = handler.headers.get("Idempotency-Key")
        headers = {}
        try:
            if handler.headers.get("Authorization") != f"Bearer {self.api_key}":
                raise StripeFailure(401, "invalid_request_error", "Invalid API Key provided.")
            version = handler.headers.get("Stripe-Version") or LATEST_VERSION
            with self.lock:
                self.requests.append((method, split.path, params, key))
                self.versions.append(version)
                stored = self.idempotent.get(key) if method == "POST" and key else None
                if stored is not None:
                    if stored[0] != (split.path, params):
                        raise StripeFailure(
                            400, "idempotency_error",
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with.")
                    status, body = stored[1], stored[2]
                    headers["Idempotent-Replayed"] = "true"
                else:
                    status, body = 200, shaped(self._route(method, split.path, params),
                                               version)
                    if method == "POST" and key:
                        self.idempotent[key] = ((split.path, params), status, body)
        except StripeFailure as failure:
            status, body = failure.status, failure.body()
            if failure.status >= 500:
                # Tell the client not to retry, so outage tests stay quick.
                headers["Stripe-Should-Retry"] = "false"
        payload = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.send_header("Request-Id", _new_id("req"))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)

    def _route(self, method, path, params):
        routes = [
            ("POST", r"/v1/checkout/sessions", "create_session"),
            ("GET", r"/v1/checkout/sessions/([^/]+)", "retrieve_session"),
            ("POST", r"/v1/checkout/sessions/([^/]+)/expire", "expire_session"),
            ("POST", r"/v1/refunds", "create_refund"),
            ("GET", r"/v1/refunds", "list_refunds"),
            ("GET", r"/v1/refunds/([^/]+)", "retrieve_refund"),
            ("GET", r"/v1/charges/([^/]+)", "retrieve_charge"),
            ("GET", r"/v1/disputes/([^/]+)", "retrieve_dispute"),
        ]
        for route_method, pattern, name in routes:
            match = re.fullmatch(pattern, path)
            if match and route_method == method:
                if name in self.failing:
                    raise StripeFailure(500, "api_error", "The fake Stripe is down on purpose.")
                return getattr(self, f"_{name}")(params, *match.groups())
        raise StripeFailure(404, "invalid_request_error", f"Unrecognized request URL ({path}).")

    def _session(self, session_id):
        session = self.sessions.get(session_id)
        if session is None:
            raise StripeFailure(404, "invalid_request_error",
                                f"No such checkout.session: '{session_id}'", "resource_missing")
        return session

    def _public(self, session):
        return {k: copy.deepcopy(v) for k, v in session.items() if not k.startswith("_")}

    def _create_session(self, params):
        if params.get("mode") != "payment":
            raise StripeFailure(400, "invalid_request_error", "mode must be payment.")
        items = params.get("line_items")
        if not isinstance(items, list) or not items:
            raise StripeFailure(400, "invalid_request_error", "line_items is required.")
        automatic_tax = str((params.get("automatic_tax") or {}).get("enabled")) == "true"
        currencies, total, lines, tax = set(), 0, [], 0
        for item in items:
            price = item.get("price_data") or {}
            if not (price.get("product_data") or {}).get("name"):
                raise StripeFailure(400, "invalid_request_error", "product_data.name missing.")
            currencies.add(price.get("currency"))
            unit_amount = _int(price.get("unit_amount"), "unit_amount")
            if price.get("currency") in THREE_DECIMAL and unit_amount % 10:
                raise StripeFailure(400, "invalid_request_error",
                                    "Amounts in three-decimal currencies must end in 0.")
            amount = unit_amount * _int(item.get("quantity"), "quantity")
            line_tax = self._tax(price, amount, automatic_tax)
            lines.append({"object": "item", "id": _new_id("li"),
                          "description": price["product_data"]["name"],
                          "quantity": _int(item.get("quantity"), "quantity"),
                          "amount_subtotal": amount, "amount_tax": line_tax,
                          "amount_total": amount + (
                              line_tax if price.get("tax_behavior") == "exclusive" else 0)})
            total += lines[-1]["amount_total"]
            tax += line_tax
        if len(currencies) != 1:
            raise StripeFailure(400, "invalid_request_error", "All items need one currency.")
        suffix = (params.get("payment_intent_data") or {}).get("statement_descriptor_suffix")
        if suffix is not None and (len(f"{STATEMENT_PREFIX}* {suffix}") > 22
                                   or not any(c.isalpha() for c in suffix)):
            raise StripeFailure(400, "invalid_request_error",
                                "The statement descriptor must be at most 22 characters "
                                "and hold a letter.")
        subtotal = total
        options = params.get("shipping_options") or []
        shipping_cost = None
        for option in options:
            data = option.get("shipping_rate_data") or {}
            fixed = data.get("fixed_amount") or {}
            if (data.get("type") != "fixed_amount" or not data.get("display_name")
                    or fixed.get("currency") not in currencies):
                raise StripeFailure(400, "invalid_request_error",
                                    "shipping_rate_data needs a type, a display_name and a "
                                    "fixed_amount in the session's currency.")
            _int(fixed.get("amount"), "fixed_amount.amount")
        if options:  # the first option is the one preselected for the shopper
            first = options[0]["shipping_rate_data"]
            amount = int(first["fixed_amount"]["amount"])
            shipping_tax = self._tax(first, amount, automatic_tax)
            shipping_cost = {"amount_subtotal": amount, "amount_tax": shipping_tax,
                             "amount_total": amount + (
                                 shipping_tax if first.get("tax_behavior") == "exclusive"
                                 else 0),
                             "shipping_rate": _new_id("shr"),
                             "display_name": first["display_name"]}
            total += shipping_cost["amount_total"]
            tax += shipping_tax
        now = int(time.time())
        expires_at = _int(params.get("expires_at", now + MAX_SESSION_SECONDS), "expires_at")
        if not MIN_SESSION_SECONDS <= expires_at - now <= MAX_SESSION_SECONDS:
            raise StripeFailure(400, "invalid_request_error",
                                "expires_at must be 30 minutes to 24 hours from now.")
        for name in ("success_url", "cancel_url"):
            if not str(params.get(name, "")).startswith(("http://", "https://")):
                raise StripeFailure(400, "invalid_request_error", f"{name} must be a URL.")
        session_id = _new_id("cs")
        session = {
            "id": session_id, "object": "checkout.session", "mode": "payment",
            "livemode": False, "status": "open", "payment_status": "unpaid",
            "amount_subtotal": subtotal, "amount_total": total, "currency": currencies.pop(),
            "shipping_cost": shipping_cost,
            "automatic_tax": {"enabled": automatic_tax,
                              "status": "complete" if automatic_tax else None},
            "total_details": {"amount_discount": 0, "amount_tax": tax,
                              "amount_shipping": shipping_cost["amount_total"]
                              if shipping_cost else 0},
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata") or {}, "expires_at": expires_at,
            "created": now, "success_url": params["success_url"],
            "cancel_url": params["cancel_url"],
            "url": f"https://checkout.stripe.test/c/pay/{session_id}",
            "payment_intent": None, "customer_details": None, "collected_information": None,
            "_line_items": items, "_lines": lines,
            "_shipping_countries": (params.get("shipping_address_collection") or {}).get(
                "allowed_countries", []),
        }
        self.sessions[session_id] = session
        return self._public(session)

    def _tax(self, priced, amount, automatic_tax):
        """What Stripe Tax adds to (exclusive) or finds inside (inclusive) `amount`, for a
        line's price_data or a shipping_rate_data; 0 without automatic_tax."""
        if not automatic_tax:
            return 0
        behaviour = priced.get("tax_behavior")
        if behaviour not in ("exclusive", "inclusive"):
            raise StripeFailure(400, "invalid_request_error",
                                "With automatic_tax, every price and shipping rate needs a "
                                "tax_behavior of exclusive or inclusive.")
        code = (priced.get("product_data") or {}).get("tax_code") or priced.get("tax_code")
        if not re.fullmatch(r"txcd_[0-9]{8}", str(code or "")):
            raise StripeFailure(400, "invalid_request_error", f"Invalid tax_code: {code!r}")
        rate = self.tax_basis_points
        if behaviour == "exclusive":
            return (amount * rate + 5000) // 10000
        return amount - (amount * 10000 * 2 + (10000 + rate)) // ((10000 + rate) * 2)

    def _retrieve_session(self, params, session_id):
        session = self._public(self._session(session_id))
        if "line_items" in (params.get("expand") or []):
            lines = self._session(session_id)["_lines"]
            session["line_items"] = {"object": "list", "data": copy.deepcopy(lines),
                                     "has_more": False, "url": "/v1/checkout/sessions/"
                                     f"{session_id}/line_items"}
        return session

    def _expire_session(self, params, session_id):
        session = self._session(session_id)
        if session["status"] != "open":
            raise StripeFailure(
                400, "invalid_request_error",
                f"Only Checkout Sessions with a status in [\"open\"] can be expired. This "
                f"Checkout Session has a status of \"{session['status']}\".")
        session["status"] = "expired"
        return self._public(session)

    def _create_refund(self, params):
        intent = self.payment_intents.get(params.get("payment_intent"))
        if intent is None or intent["status"] != "succeeded":
            raise StripeFailure(400, "invalid_request_error", "No such payment_intent.",
                                "resource_missing")
        remaining = intent["amount"] - intent["amount_refunded"]
        amount = _int(params.get("amount", remaining), "amount")
        if amount <= 0 or amount > remaining:
            raise StripeFailure(400, "invalid_request_error",
                                f"Refund amount ({amount}) is greater than unrefunded "
                                f"amount on charge ({remaining}).", "charge_already_refunded")
        return self._refund(intent, amount, params.get("metadata") or {})

    def _refund(self, intent, amount, metadata):
        refund = {"id": _new_id("re"), "object": "refund", "amount": amount,
                  "currency": intent["currency"], "payment_intent": intent["id"],
                  "charge": intent["latest_charge"], "status": self.refund_status,
                  "failure_reason": None, "metadata": metadata, "created": int(time.time())}
        intent["amount_refunded"] += amount
        self.refunds[refund["id"]] = refund
        return copy.deepcopy(refund)

    def _found(self, store, object_id, kind):
        if object_id not in store:
            raise StripeFailure(404, "invalid_request_error",
                                f"No such {kind}: '{object_id}'", "resource_missing")
        return copy.deepcopy(store[object_id])

    def _retrieve_refund(self, params, refund_id):
        return self._found(self.refunds, refund_id, "refund")

    def _retrieve_dispute(self, params, dispute_id):
        return self._found(self.disputes, dispute_id, "dispute")

    def _retrieve_charge(self, params, charge_id):
        for intent in self.payment_intents.values():
            if intent["latest_charge"] == charge_id:
                return self._charge(intent)
        raise StripeFailure(404, "invalid_request_error", f"No such charge: '{charge_id}'",
                            "resource_missing")

    def _charge(self, intent):
        return {"id": intent["latest_charge"], "object": "charge",
                "payment_intent": intent["id"], "amount": intent["amount"],
                "amount_refunded": intent["amount_refunded"],
                "currency": intent["currency"],
                "refunded": intent["amount_refunded"] == intent["amount"],
                "disputed": any(d["charge"] == intent["latest_charge"]
                                for d in self.disputes.values())}

    def _list_refunds(self, params):
        data = [copy.deepcopy(r) for r in self.refunds.values()
                if r["payment_intent"] == params.get("payment_intent")]
        return {"object": "list", "url": "/v1/refunds", "has_more": False, "data": data}

    # -- what happens on Stripe's side ---------------------------------------------------

    def fail(self, *operations):
        """Answer these operations (create_session, retrieve_session, expire_session,
        create_refund, list_refunds, retrieve_refund, retrieve_charge, retrieve_dispute)
        with a 500 until `recover()`."""
        with self.lock:
            self.failing.update(operations)

    def recover(self):
        with self.lock:
            self.failing.clear()

    def complete(self, session_id, *, paid=True, email="shopper@example.com", shipping=None):
        """The shopper pays on the Stripe page (paid=False: an async method still pending)."""
        shipping = shipping or {"name": "Ada Walker", "address": {
            "line1": "12 Harbor Street", "line2": "", "city": "Portland", "state": "OR",
            "postal_code": "97201", "country": "US"}}
        with self.lock:
            session = self._session(session_id)
            assert session["status"] == "open", f"session is {session['status']}"
            intent_id = _new_id("pi")
            self.payment_intents[intent_id] = {
                "id": intent_id, "amount": session["amount_total"],
                "currency": session["currency"], "amount_refunded": 0,
                "status": "succeeded" if paid else "processing",
                "latest_charge": _new_id("ch"),
            }
            session.update(
                status="complete", payment_status="paid" if paid else "unpaid",
                payment_intent=intent_id,
                customer_details={"email": email, "name": shipping["name"]},
                collected_information={"shipping_details": shipping},
            )
            return self._public(session)

    def settle(self, session_id, *, succeeded=True):
        """An async payment method (a bank debit) finally succeeds or fails."""
        with self.lock:
            session = self._session(session_id)
            intent = self.payment_intents[session["payment_intent"]]
            intent["status"] = "succeeded" if succeeded else "canceled"
            session["payment_status"] = "paid" if succeeded else "unpaid"
            return self._public(session)

    def expire(self, session_id):
        """Stripe's own clock closes an open session."""
        with self.lock:
            return self._expire_session({}, session_id)

    def session(self, session_id):
        with self.lock:
            return self._public(self._session(session_id))

    def refund_in_dashboard(self, payment_intent, amount=None):
        """Someone refunds by hand in the Stripe dashboard."""
        with self.lock:
            intent = self.payment_intents[payment_intent]
            amount = amount or intent["amount"] - intent["amount_refunded"]
            return self._refund(intent, amount, {})

    def charge(self, payment_intent):
        """The charge object Stripe sends with charge.refunded."""
        with self.lock:
            return self._charge(self.payment_intents[payment_intent])

    def refund(self, refund_id):
        with self.lock:
            return copy.deepcopy(self.refunds[refund_id])

    def settle_refund(self, refund_id, status, failure_reason=None):
        """The bank finishes a pending refund: succeeded, failed or canceled.

        A refund that did not go through gives the amount back to the charge."""
        with self.lock:
            refund = self.refunds[refund_id]
            if status in ("failed", "canceled") and refund["status"] not in ("failed",
                                                                             "canceled"):
                self.payment_intents[refund["payment_intent"]]["amount_refunded"] -= (
                    refund["amount"])
            refund.update(status=status, failure_reason=failure_reason
                          or ("lost_or_stolen_card" if status == "failed" else None))
            return copy.deepcopy(refund)

    def open_dispute(self, payment_intent, *, reason="fraudulent", amount=None,
                     status="needs_response"):
        """The cardholder disputes the payment with their bank."""
        with self.lock:
            intent = self.payment_intents[payment_intent]
            dispute_id = _new_id("dp")
            self.disputes[dispute_id] = {
                "id": dispute_id, "object": "dispute", "amount": amount or intent["amount"],
                "currency": intent["currency"], "charge": intent["latest_charge"],
                "payment_intent": intent["id"], "reason": reason, "status": status,
                "evidence_details": {"due_by": int(time.time()) + 7 * 24 * 3600,
                                     "has_evidence": False, "submission_count": 0},
                "created": int(time.time()), "livemode": False,
            }
            return copy.deepcopy(self.disputes[dispute_id])

    def update_dispute(self, dispute_id, status):
        """The dispute moves on (under_review, won, lost, ...)."""
        with self.lock:
            self.disputes[dispute_id]["status"] = status
            return copy.deepcopy(self.disputes[dispute_id])

    def refunds_for(self, payment_intent):
        with self.lock:
            return [copy.deepcopy(r) for r in self.refunds.values()
                    if r["payment_intent"] == payment_intent]

    def calls(self, method, path_prefix):
        with self.lock:
            return [r for r in self.requests if r[0] == method and r[1].startswith(path_prefix)]

    # -- webhooks ---------------------------------------------------------------------

    @staticmethod
    def event(event_type, obj, event_id=None, api_version=LATEST_VERSION):
        """An event as an endpoint on `api_version` receives it (its object in that shape)."""
        return {"id": event_id or _new_id("evt"), "object": "event", "type": event_type,
                "api_version": api_version, "created": int(time.time()),
                "livemode": False, "pending_webhooks": 1,
                "data": {"object": shaped(obj, api_version)}}

    def sign(self, payload, *, secret=None, timestamp=None):
        """The Stripe-Signature header for `payload`, computed as Stripe computes it."""
        timestamp = int(time.time()) if timestamp is None else timestamp
        mac = hmac.new((secret or self.webhook_secret).encode(),
                       f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
        return f"t={timestamp},v1={mac}"

    def deliver(self, client, event, *, secret=None, timestamp=None, signature=None):
        """POST `event` to the shop's webhook, signed (or with the given signature)."""
        payload = json.dumps(event)
        header = signature if signature is not None else self.sign(
            payload, secret=secret, timestamp=timestamp)
        return client.post("/webhooks/stripe", data=payload,
                           headers={"Stripe-Signature": header,
                                    "Content-Type": "application/json; charset=utf-8"})
