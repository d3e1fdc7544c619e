"""Staff account pages: the admins' list with invitations, roles, disabling and
re-enabling; setting a password from an e-mailed link; "forgot your password?"; and the
audit log. The work is done in staff/accounts.py."""

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from ..extensions import limiter
from ..inputs import page_number
from . import accounts
from .auth import add_nav_link, role_required
from .models import ROLES
from .routes import bp
from .service import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, StaffError

ADMIN = ("admin",)
# Reset requests per client address; each account also gets at most a few links an hour.
RESET_LIMIT = "5 per hour"

add_nav_link("Staff accounts", "staff.staff_accounts", *ADMIN)
add_nav_link("Audit log", "staff.audit", *ADMIN)


def _roles():
    return [SelectChoice(value, label) for value, label in ROLES.items()]


class InviteForm(FlaskForm):
    email = EmailField("E-mail address", validators=[DataRequired("Enter an e-mail address."),
                                                     Length(max=254)])
    display_name = StringField("Name", validators=[Length(max=120)],
                               description="As shown on articles they write. Optional.")
    role = SelectField("Role", choices=_roles(), validate_choice=False)


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=_roles(), validate_choice=False)


class ActionForm(FlaskForm):
    """Only the CSRF token."""


class ResetRequestForm(FlaskForm):
    email = EmailField("E-mail address", validators=[DataRequired("Enter your e-mail address."),
                                                     Length(max=254)])


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[DataRequired("Choose a password."),
                    Length(MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH,
                           message=f"Use {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} "
                                   "characters.")],
        description=f"At least {MIN_PASSWORD_LENGTH} characters; a few unrelated words are "
                    "easy to remember and hard to guess.")
    confirm = PasswordField("The same password again",
                            validators=[EqualTo("password", "The two passwords differ.")])


def _actor():
    return accounts.Actor(current_user.id, current_user.email, request.remote_addr or "")


def _list(invite_form=None, status=200):
    return render_template("staff/accounts.html", users=accounts.accounts(),
                           invite_form=invite_form or InviteForm(formdata=None),
                           roles=ROLES, action_form=ActionForm()), status


@bp.get("/accounts")
@role_required(*ADMIN)
def staff_accounts():
    return _list()


@bp.post("/accounts/invite")
@role_required(*ADMIN)
def staff_invite():
    form = InviteForm()
    if not form.validate_on_submit():
        flash("Nobody was invited: please fix the fields marked below.", "error")
        return _list(form, 422)
    try:
        user = accounts.invite(form.email.data, form.role.data, form.display_name.data,
                               _actor())
    except StaffError as refused:
        form.email.errors = [*form.email.errors, refused.message]
        flash("Nobody was invited: please fix the fields marked below.", "error")
        return _list(form, 422)
    flash(f"Invited {user.email} as {user.role_label}: they have an e-mail with a link to "
          f"set their password, valid for {accounts.INVITE_LIFETIME.days} days.", "success")
    return redirect(url_for("staff.staff_accounts"), 303)


@bp.post("/accounts/<int:user_id>/role")
@role_required(*ADMIN)
def staff_role(user_id):
    form = RoleForm()
    if not form.validate_on_submit():
        flash("The role was not changed: the form expired. Try again.", "error")
        return _list(status=400)
    try:
        user, old = accounts.change_role(user_id, form.role.data, _actor())
    except (StaffError, accounts.LastAdmin) as refused:
        flash(f"The role was not changed. {refused.message}", "error")
        return _list(status=refused.status)
    if old == user.role:
        flash(f"{user.email} already is {user.role_label}: nothing changed.", "info")
    else:
        flash(f"{user.email} is now {user.role_label} (was {ROLES[old]}).", "success")
    return redirect(url_for("staff.staff_accounts"), 303)


@bp.post("/accounts/<int:user_id>/disable")
@role_required(*ADMIN)
def staff_disable(user_id):
    if not ActionForm().validate_on_submit():
        flash("Nothing was changed: the form expired. Try again.", "error")
        return _list(status=400)
    try:
        user, revoked = accounts.disable(user_id, _actor())
    except (StaffError, accounts.LastAdmin) as refused:
        flash(f"The account was not disabled. {refused.message}", "error")
        return _list(status=refused.status)
    flash(f"Disabled {user.email}: their sessions have ended and {revoked} API token(s) were "
          "revoked.", "success")
    return redirect(url_for("staff.staff_accounts"), 303)


@bp.post("/accounts/<int:user_id>/enable")
@role_required(*ADMIN)
def staff_enable(user_id):
    if not ActionForm().validate_on_submit():
        flash("Nothing was changed: the form expired. Try again.", "error")
        return _list(status=400)
    user = accounts.enable(user_id, _actor())
    flash(f"{user.email} can log in again. Their old API tokens stay revoked.", "success")
    return redirect(url_for("staff.staff_accounts"), 303)


@bp.get("/audit")
@role_required(*ADMIN)
def audit():
    return render_template("staff/audit.html", log=accounts.audit_log(
        page_number(request.args.get("page"))), actions=accounts.ACTIONS)


# -- passwords from e-mailed links -------------------------------------------------------


@bp.route("/password-reset", methods=["GET", "POST"])
@limiter.limit(RESET_LIMIT, methods=["POST"])
def password_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        accounts.request_reset(form.email.data, request.remote_addr or "")
        minutes = int(accounts.RESET_LIFETIME.total_seconds() // 60)
        flash(f"If {form.email.data.strip()} belongs to a staff account, it has an e-mail with "
              f"a link to set a new password. The link works once, for {minutes} minutes.",
              "success")
        return redirect(url_for("staff.login"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("staff/password_reset.html", form=form), status


def _link_page(status=200, **context):
    response = make_response(render_template("staff/set_password.html", **context), status)
    # The token is in the address: it must not travel to other sites as a Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/password/<token>", methods=["GET", "POST"])
def set_password(token):
    form = SetPasswordForm()
    try:
        user, purpose = accounts.link_account(token)
    except accounts.InvalidLink as refused:
        return _link_page(refused.status, form=None, error=refused.message)
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.set_password(token, form.password.data, request.remote_addr or "")
        except StaffError as refused:
            form.password.errors = [*form.password.errors, refused.message]
        except accounts.InvalidLink as refused:
            return _link_page(refused.status, form=None, error=refused.message)
        else:
            flash(f"Your password is set. Log in as {user.email} with it.", "success")
            return redirect(url_for("staff.login"), 303)
    if request.method == "POST":
        status = 422
    return _link_page(status, form=form, user=user, purpose=purpose, error=None)
