"""Waiting demand: how many shoppers asked to hear when each sold-out variant returns."""

from flask import render_template

from ..notices import service as notice_service
from .auth import add_nav_link, role_required
from .routes import bp

ROLES = ("warehouse",)  # admins pass every role check too

add_nav_link("Back-in-stock requests", "staff.notices", *ROLES)


@bp.get("/notices")
@role_required(*ROLES)
def notices():
    return render_template("staff/notices.html", rows=notice_service.demand())
