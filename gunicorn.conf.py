"""gunicorn settings: `gunicorn -c gunicorn.conf.py wsgi:app` (make run uses it too)."""

import os

from storefront.gunicorn_settings import default_workers

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or default_workers())
worker_class = "sync"
timeout = 30            # a request that takes longer is stuck: kill and restart the worker
graceful_timeout = 20   # on deploy, let in-flight checkouts finish
keepalive = 5
# The shop is imported once in the master and forked, so a worker starts (and is
# recycled) in milliseconds; a deploy restarts gunicorn rather than sending HUP.
preload_app = True
max_requests = 100000   # recycle workers now and then to bound memory growth
max_requests_jitter = 10000
accesslog = None        # the app writes a JSON access line with the request id
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_fork(server, worker):
    # A forked worker must never share a database connection with its parent.
    app = server.app.wsgi()
    if "sqlalchemy" in getattr(app, "extensions", {}):
        from storefront.extensions import db

        with app.app_context():
            db.engine.dispose(close=False)
