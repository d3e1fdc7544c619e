"""The storefront application factory."""

from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

from . import (
    assets,
    compression,
    database,  # noqa: F401  (registers the SQLite connection settings)
    logs,
    pagecache,
    responses,
    security,
)
from .config import ROOT, Config
from .extensions import csrf, db, limiter, login_manager, migrate
from .inputs import MAX_ID, ShopRequest


def create_app(test_config=None):
    """Build the app from Config (the environment), overridden by `test_config`."""
    app = Shop(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(Config)
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError(
            "SECRET_KEY is not set. Put SECRET_KEY=<long random string> in the "
            "environment or in .env (make run writes one for development)."
        )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    # A database error's message never carries the values a shopper or staff member
    # sent (e-mail addresses, comments) into the logs, whatever else the options say.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        "hide_parameters": True, **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}

    # Every <int:...> in a URL is an id, and ids are INTEGER columns: a larger
    # number is a 404, not an out-of-range error from the database.
    app.url_map.converters["int"] = DatabaseInteger
    import_models()
    logs.init_app(app)
    responses.init_app(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    assets.init_app(app)
    security.guard_hosts(app)
    security.trust_proxies(app)
    return app


class Shop(Flask):
    """Flask, reading requests through the shop's input rules (storefront/inputs.py).

    Absolute links are built by `links.absolute_url` on PUBLIC_URL, never on the
    Host header a client sent."""

    request_class = ShopRequest


class DatabaseInteger(IntegerConverter):
    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def import_models():
    """Import every package's models so the metadata (and Alembic) sees all tables."""
    from . import pagecache  # noqa: F401
    from .account import models as _account  # noqa: F401
    from .articles import models as _articles  # noqa: F401
    from .cart import models as _cart  # noqa: F401
    from .catalogue import models as _catalogue  # noqa: F401
    from .checkout import models as _checkout  # noqa: F401
    from .inventory import models as _inventory  # noqa: F401
    from .mail import models as _mail  # noqa: F401
    from .notices import models as _notices  # noqa: F401
    from .returns import models as _returns  # noqa: F401
    from .staff import models as _staff  # noqa: F401


def register_extensions(app):
    from .checkout.service import placing
    from .notices import service as notices
    from .returns import service as returns

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
                     include_object=database.include_object)
    csrf.init_app(app)
    compression.init_app(app)
    pagecache.init_app(app)
    notices.init_app(app)
    returns.init_app(app)
    placing.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)


def register_blueprints(app):
    from .account import routes as account_routes
    from .api.routes import bp as api_bp
    from .articles.routes import bp as articles_bp
    from .cart.routes import bp as cart_bp
    from .catalogue.routes import bp as catalogue_bp
    from .checkout.routes import bp as checkout_bp
    from .health import bp as health_bp
    from .icons import bp as icons_bp
    from .media.routes import bp as media_bp
    from .notices.routes import bp as notices_bp
    from .returns.routes import bp as returns_bp
    from .staff import auth as staff_auth
    from .staff.routes import bp as staff_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(icons_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(catalogue_bp)
    app.register_blueprint(articles_bp)
    app.register_blueprint(cart_bp)
    app.register_blueprint(checkout_bp)
    account_routes.init_app(app)
    app.register_blueprint(notices_bp)
    app.register_blueprint(returns_bp)
    staff_auth.init_app(app)
    app.register_blueprint(staff_bp)
    app.register_blueprint(api_bp)


def register_errorhandlers(app):
    from . import errors

    errors.init_app(app)


def register_commands(app):
    from .account.commands import import_customers_command
    from .catalogue.commands import media_cli
    from .checkout import commands as checkout_commands
    from .demo import demo_cli
    from .deploy import check_deploy
    from .digests import low_stock_digest
    from .inventory.commands import inventory_cli
    from .mail.commands import mail_cli
    from .notices.commands import notices_cli
    from .shopify.commands import shopify_cli
    from .staff.commands import staff_cli, stock_export, stock_import

    app.cli.add_command(demo_cli)
    inventory_cli.add_command(stock_export)
    inventory_cli.add_command(stock_import)
    app.cli.add_command(inventory_cli)
    checkout_commands.init_app(app)  # its unpaid-order sweep runs in release-expired
    app.cli.add_command(staff_cli)
    mail_cli.add_command(low_stock_digest)
    app.cli.add_command(mail_cli)
    # The shopify package stands below accounts: the customer import joins its group here.
    shopify_cli.add_command(import_customers_command)
    app.cli.add_command(shopify_cli)
    app.cli.add_command(notices_cli)
    app.cli.add_command(check_deploy)
    app.cli.add_command(media_cli)


def register_template_helpers(app):
    from . import templating

    templating.init_app(app)
