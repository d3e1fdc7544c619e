"""Back office: staff login and logout, the staff home page."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ..extensions import limiter
from . import service
from .auth import ANY_STAFF, role_required, safe_next
from .forms import LoginForm, LogoutForm

bp = Blueprint("staff", __name__, url_prefix="/staff")

# Per client address; with Redis storage the count is shared by every worker.
LOGIN_LIMIT = "5 per minute; 30 per hour"


@bp.app_context_processor
def logout_form():
    return {"staff_logout_form": LogoutForm}


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
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
    flash("You are logged out. Your earlier sessions on other devices have ended too.",
          "success")
    return redirect(url_for("staff.login"))


@bp.get("/")
@role_required(*ANY_STAFF)
def home():
    return render_template("staff/home.html")
