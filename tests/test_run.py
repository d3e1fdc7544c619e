"""`make run`'s processes: the shop, the mail sender and the hold sweeper start together
from the Procfile and stop together on Ctrl-C; the sweeper keeps sweeping."""

import gzip
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from storefront.inventory import service as inventory
from storefront.models import utcnow

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url, **headers):
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (local test URL)
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (local test URL)
        return response.headers, response.read()


def answers(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (local test URL)
            return response.status == 200
    except OSError:
        return False


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def test_the_procfile_starts_shop_mail_and_sweeper_and_ctrl_c_stops_them_all(tmp_path):
    port = free_port()
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'shop.sqlite3'}",
               SECRET_KEY="procfile-test-secret-key-long-enough", WEB_CONCURRENCY="1",
               PUBLIC_URL=f"http://127.0.0.1:{port}", PYTHONUNBUFFERED="1",
               STATIC_BUILD_DIR=str(tmp_path / "static"))
    env.pop("MAIL_URL", None)
    for step in (["db", "upgrade"], ["assets", "build"]):  # as make run does
        subprocess.run([BIN / "flask", "--app", "wsgi", *step], cwd=ROOT, env=env,
                       check=True, capture_output=True, timeout=120)
    honcho = subprocess.Popen([BIN / "honcho", "start", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not answers(f"http://127.0.0.1:{port}/healthz") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert answers(f"http://127.0.0.1:{port}/healthz")
        time.sleep(2)  # the two loops have made a pass and wait for the next
        # Waiting, neither loop keeps a transaction open: another writer gets in at once
        # (an idle transaction holds SQLite's write lock, and the wait is 30 s).
        started = time.monotonic()
        sweep = subprocess.run([BIN / "flask", "--app", "wsgi", "inventory", "release-expired"],
                               cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert sweep.returncode == 0, sweep.stderr
        assert time.monotonic() - started < 15
        # The served shop: pages compressed, static files hashed, precompressed, kept.
        headers, body = fetch(f"http://127.0.0.1:{port}/", **{"Accept-Encoding": "gzip, br"})
        assert headers["Content-Encoding"] == "gzip"
        css = re.search(r'href="(/static/css/shop\.[0-9a-f]{12}\.css)"',
                        gzip.decompress(body).decode()).group(1)
        headers, _ = fetch(f"http://127.0.0.1:{port}{css}", **{"Accept-Encoding": "br"})
        assert headers["Content-Encoding"] == "br"
        assert headers["Cache-Control"] == "max-age=315360000, public, immutable"
    finally:
        os.killpg(honcho.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's group
        out, _ = honcho.communicate(timeout=40)
    assert "Sending to the folder" in out, out
    assert "Releasing expired checkout holds every 60s" in out, out
    assert out.count("Stopped.") == 2, out
    deadline = time.monotonic() + 10
    while group_alive(honcho.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not group_alive(honcho.pid), "a process outlived Ctrl-C"
    assert not answers(f"http://127.0.0.1:{port}/healthz")


@pytest.mark.real_commits  # the sweeper is another process on the test's database
def test_the_sweeper_releases_holds_as_they_expire_and_stops_on_sigterm(app, make_product,
                                                                        database_url):
    from storefront.extensions import db

    variant = make_product([5]).variants[0].id
    db.session.commit()
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="sweeper-test-secret",
               PUBLIC_URL="http://shop.test")
    sweeper = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "inventory", "release-expired",
         "--watch", "--interval", "0.5"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        inventory.hold("order:late", {variant: 3}, utcnow() - timedelta(seconds=1))
        deadline = time.monotonic() + 30
        while inventory.levels([variant])[variant].reserved and time.monotonic() < deadline:
            db.session.rollback()  # read the sweeper's commits
            time.sleep(0.2)
        db.session.rollback()
        assert inventory.levels([variant])[variant].reserved == 0
    finally:
        sweeper.send_signal(signal.SIGTERM)
        out, err = sweeper.communicate(timeout=30)
    assert sweeper.returncode == 0, err
    assert f"variant {variant}: released 3 held unit(s)" in out
    assert out.count("Released") == 1  # idle passes print nothing
    assert out.rstrip().endswith("Stopped.")


def test_without_public_url_links_follow_the_port_the_shop_binds():
    # Empty, not absent: a developer's .env cannot fill it in then.
    env = dict(os.environ, PORT="8123", SECRET_KEY="x", PUBLIC_URL="")
    shown = subprocess.run(
        [sys.executable, "-c", "from storefront.config import Config; print(Config.PUBLIC_URL)"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=60)
    assert shown.stdout.strip() == "http://127.0.0.1:8123"


def test_mail_where_names_the_outbox_folder_without_mail_url(app, runner):
    app.config["MAIL_URL"] = None
    result = runner.invoke(args=["mail", "where"])
    assert result.exit_code == 0
    assert f"land in {Path(app.instance_path) / 'outbox'}/ as .eml files" in result.output
    app.config["MAIL_URL"] = "smtp://mailer@smtp.example:587?tls=1"
    result = runner.invoke(args=["mail", "where"])
    assert "sent through SMTP mailer@smtp.example:587" in result.output
