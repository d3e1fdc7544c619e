"""Back office: staff login and logout, the warehouse console, stock files."""

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from ..csvrows import BatchRejected
from ..exceptions import DomainError
from ..extensions import limiter
from ..inventory.service import STAFF_REASONS
from ..models import utcnow
from ..notices import service as notices
from ..templating import money
from . import dashboard, service, stockfile, warehouse
from .auth import ANY_STAFF, role_required, safe_next
from .forms import (
    AdjustForm,
    ApplyImportForm,
    CountForm,
    ImportForm,
    LoginForm,
    LogoutForm,
    ReceiveForm,
)

bp = Blueprint("staff", __name__, url_prefix="/staff")

# Failed attempts per client address; with Redis storage every worker shares the count.
LOGIN_LIMIT = "5 per minute; 30 per hour"
# Failed attempts per account, from any number of addresses: guessing one account's
# password from many machines is slowed as much as from one.
ACCOUNT_LOGIN_LIMIT = "10 per 15 minutes"


def _login_account():
    """The rate-limit key of the account a login form names (any case)."""
    return "staff-login:" + service.normalise_email(request.form.get("email") or "")[:254]


def _failed_login(response):
    return response.status_code != 302


@bp.app_context_processor
def logout_form():
    return {"staff_logout_form": LogoutForm}


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"], deduct_when=_failed_login)
@limiter.limit(ACCOUNT_LOGIN_LIMIT, methods=["POST"], key_func=_login_account,
               deduct_when=_failed_login,
               error_message="Too many failed logins for this account in a short time. "
                             "Please wait 15 minutes, then try again, or ask an "
                             "administrator to reset the password.")
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"), default="")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data))
    error = None
    if form.validate_on_submit():
        try:
            user = service.authenticate(form.email.data, form.password.data)
        except service.InvalidLogin as refused:
            error = refused.message
        else:
            target = safe_next(form.next.data)
            # A fresh session at login: nothing set before it (by anyone) survives.
            session.clear()
            # The CSRF token cached for this request belonged to the old session.
            g.pop("csrf_token", None)
            login_user(user)
            flash(f"Logged in as {user.email} ({user.role_label}).", "success")
            return redirect(target)
    elif request.method == "POST":
        error = "Enter your e-mail address and password."
    status = 401 if error else 200
    return render_template("staff/login.html", form=form, error=error), status


@bp.post("/logout")
@role_required(*ANY_STAFF)
def logout():
    service.end_sessions(current_user.id)
    logout_user()
    session.clear()
    g.pop("csrf_token", None)
    flash("You are logged out. Your earlier sessions on other devices have ended too.",
          "success")
    return redirect(url_for("staff.login"))


def _period():
    days = request.args.get("days", "")
    return int(days) if days in {str(d) for d in dashboard.PERIODS} else dashboard.PERIODS[0]


@bp.get("/")
@role_required(*ANY_STAFF)
def home():
    days = _period()
    names = dashboard.figures_for(current_user)
    context = {"days": days, "periods": dashboard.PERIODS, "names": names}
    if "sales" in names:
        sales = dashboard.daily_sales(days)
        returns = dashboard.figure("returns", days)
        returned = [r for r in returns.rows if r[2]][:dashboard.TOP_PRODUCTS]
        context |= {
            "sales": sales,
            "sales_plot": dashboard.bar_plot(
                [f"{d:%b} {d.day}" for d, _, _ in sales.days], [r for _, _, r in sales.days],
                lambda label, cents: f"{label}: {money(cents)}"),
            "products": dashboard.figure("products", days),
            "articles": dashboard.figure("articles", days),
            "returns": returns,
            "returns_plot": dashboard.bar_plot(
                [r[0] for r in returned], [r[3] for r in returned],
                lambda label, rate: f"{label}: {rate:g} returned per 100 sold"),
        }
    if "to_ship" in names:
        moves = dashboard.daily_movements(days)
        context |= {
            "to_ship": dashboard.orders_to_ship(),
            "low_stock": dashboard.figure("low_stock"),
            "sold_out": dashboard.figure("sold_out_demand"),
            "holds": dashboard.open_holds(),
            "moves": moves,
            "received_plot": dashboard.bar_plot(
                [f"{d:%b} {d.day}" for d, _, _ in moves], [r for _, r, _ in moves],
                lambda label, n: f"{label}: {n} received"),
            "shipped_plot": dashboard.bar_plot(
                [f"{d:%b} {d.day}" for d, _, _ in moves], [s for _, _, s in moves],
                lambda label, n: f"{label}: {n} shipped"),
        }
    return render_template("staff/home.html", **context)


@bp.get("/dashboard/<name>.csv")
@role_required(*ANY_STAFF)
def dashboard_csv(name):
    if name not in dashboard.figures_for(current_user):
        if name in (*dashboard.SALES_FIGURES, *dashboard.WAREHOUSE_FIGURES):
            abort(403, "This figure is not on your dashboard.")
        abort(404, f"There is no figure called {name[:40]!r}.")
    days = _period()
    figure = dashboard.figure(name, days)
    filename = f"{name}-{utcnow():%Y%m%d}.csv"
    return Response(dashboard.to_csv(figure), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


# -- warehouse console ----------------------------------------------------------

WAREHOUSE = ("warehouse",)


@bp.get("/inventory")
@role_required(*WAREHOUSE)
def inventory():
    filters = warehouse.ConsoleFilters.from_args(request.args)
    return render_template("staff/inventory.html", console=warehouse.console(filters),
                           sorts=warehouse.SORTS, stock_filters=warehouse.STOCK_FILTERS)


def _variant_page(variant_id, status=200, adjust_form=None, count_form=None,
                  adjust_error=None, count_error=None):
    page = warehouse.variant_page(variant_id)
    if count_form is None:
        count_form = CountForm(formdata=None, expected=page["levels"].on_hand)
    return render_template(
        "staff/variant.html", **page, demand=notices.demand_for(variant_id),
        adjust_form=adjust_form or AdjustForm(formdata=None),
        count_form=count_form, adjust_error=adjust_error, count_error=count_error,
    ), status


@bp.get("/inventory/<int:variant_id>")
@role_required(*WAREHOUSE)
def variant(variant_id):
    return _variant_page(variant_id)


@bp.post("/inventory/<int:variant_id>/adjust")
@role_required(*WAREHOUSE)
def adjust(variant_id):
    form = AdjustForm()
    if not form.validate_on_submit():
        return _variant_page(variant_id, 422, adjust_form=form,
                             adjust_error="The change was not made: check the fields below.")
    before = warehouse.current_levels(variant_id)
    try:
        after = warehouse.adjust(variant_id, form.delta.data, form.reason.data,
                                 actor=current_user.email, note=form.note.data or "")
    except DomainError as refused:
        return _variant_page(variant_id, refused.status, adjust_form=form,
                             adjust_error=refused.message)
    flash(f"On hand changed from {before.on_hand} to {after.on_hand} "
          f"({form.delta.data:+d}, {STAFF_REASONS[form.reason.data]}). "
          f"Available now {after.available}.", "success")
    return redirect(url_for("staff.variant", variant_id=variant_id), 303)


@bp.post("/inventory/<int:variant_id>/count")
@role_required(*WAREHOUSE)
def count(variant_id):
    form = CountForm()
    if not form.validate_on_submit():
        return _variant_page(variant_id, 422, count_form=form,
                             count_error="The count was not recorded: check the fields below.")
    try:
        after, starts_tracking = warehouse.count(
            variant_id, form.counted.data, form.expected.data, actor=current_user.email,
            note=form.note.data or "")
    except DomainError as refused:
        # Start the next count from today's figure, with the counted field empty.
        current = warehouse.current_levels(variant_id)
        fresh = CountForm(formdata=None, expected=current.on_hand, note=form.note.data)
        return _variant_page(variant_id, refused.status, count_form=fresh,
                             count_error=refused.message)
    change = form.counted.data - form.expected.data
    flash(f"Count recorded: on hand is {after.on_hand} ({change:+d} against "
          f"{form.expected.data}). Available now {after.available}."
          + (" Its stock is counted from now on (it was not tracked on Shopify)."
             if starts_tracking else ""), "success")
    return redirect(url_for("staff.variant", variant_id=variant_id), 303)


@bp.route("/inventory/receive", methods=["GET", "POST"])
@role_required(*WAREHOUSE)
def receive():
    form = ReceiveForm()
    problems = []
    if form.validate_on_submit():
        try:
            received = warehouse.receive(form.lines.data, actor=current_user.email,
                                         note=form.note.data or "")
        except BatchRejected as refused:
            problems = refused.problems
        else:
            flash(f"Received {received.units} unit(s) of {len(received.lines)} SKU(s) "
                  f"as {received.reference}.", "success")
            return redirect(url_for("staff.receive", done=received.reference), 303)
    status = 422 if problems or form.errors else 200
    return render_template("staff/receive.html", form=form, problems=problems,
                           done=request.args.get("done", "")[:60]), status


@bp.get("/inventory/export.csv")
@role_required(*WAREHOUSE)
def inventory_export():
    filename = f"stock-{utcnow():%Y%m%d-%H%M}.csv"
    return Response(
        stockfile.export_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"',
                 "Cache-Control": "no-store"},
    )


@bp.route("/inventory/import", methods=["GET", "POST"])
@role_required(*WAREHOUSE)
def inventory_import():
    form = ImportForm()
    plan = text = None
    problems = []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            text = stockfile.decode(upload.read() if hasattr(upload, "read") else b"")
        except BatchRejected as refused:
            problems = refused.problems
        else:
            plan = stockfile.plan_import(text)
            problems = plan.problems
    apply_form = None
    if plan is not None and plan.ok and plan.changes:
        apply_form = ApplyImportForm(formdata=None, csv_text=text,
                                     digest=stockfile.digest(text))
    status = 422 if problems or form.errors else 200
    return render_template("staff/import.html", form=form, plan=plan, problems=problems,
                           apply_form=apply_form), status


@bp.post("/inventory/import/apply")
@role_required(*WAREHOUSE)
def inventory_import_apply():
    form = ApplyImportForm()
    if not form.validate_on_submit():
        abort(400, "The import form was incomplete. Upload the file again.")
    text = stockfile.normalise_newlines(form.csv_text.data)
    if not stockfile.digest_matches(text, form.digest.data):
        abort(400, "The file changed after its preview. Upload it again to see a new preview.")
    try:
        result = stockfile.apply_import(text, actor=current_user.email, source="upload")
    except BatchRejected as refused:
        return render_template("staff/import.html", form=ImportForm(formdata=None),
                               plan=None, problems=refused.problems, apply_form=None), 409
    flash(f"Import {result.reference} applied: on hand set on {len(result.changes)} "
          f"variant(s), {result.unchanged} row(s) already matched.", "success")
    return redirect(url_for("staff.inventory"), 303)


# The back office's other pages add their routes to `bp` when imported; they import
# `bp` from here, so they come last.
from . import account_views as _accounts  # noqa: E402, F401  (staff accounts, audit)
from . import articles as _articles  # noqa: E402, F401  (marketing pages)
from . import discounts as _discounts  # noqa: E402, F401  (discount codes)
from . import notices as _waiting_demand  # noqa: E402, F401
from . import orders as _orders  # noqa: E402, F401  (fulfilment pages)
from . import pages as _pages  # noqa: E402, F401  (shop pages)
from . import photos as _photos  # noqa: E402, F401  (product photos)
from . import products as _products  # noqa: E402, F401  (product copy)
from . import profile as _profile  # noqa: E402, F401  (author profiles)
from . import returns as _returns  # noqa: E402, F401  (returns and exchanges)
from . import search as _search  # noqa: E402, F401  (search synonyms)
from . import shipping as _shipping  # noqa: E402, F401  (shipping rates)
from . import taxes as _taxes  # noqa: E402, F401  (sales tax rates)
from . import variants as _variants  # noqa: E402, F401  (variant grid, prices)
