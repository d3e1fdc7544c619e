"""Delivery against a real SMTP server: exactly once, never lost, retried with backoff."""

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.mail import delivery
from storefront.mail import service as mail
from storefront.mail.models import OutboxMessage
from storefront.mail.transport import FolderTransport, SmtpTransport, parse_mail_url
from storefront.models import utcnow

ROOT = Path(__file__).resolve().parents[2]


def smtp(server, context=None, url=None):
    return SmtpTransport(parse_mail_url(url or server.url), ssl_context=context)


def rows():
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


class Clock:
    """A clock the test moves forward, standing in for minutes passing."""

    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


def test_a_pass_delivers_each_message_with_its_stored_message_id(app, smtp_server, queued):
    ids = queued(3)
    result = delivery.deliver_pending(smtp(smtp_server))
    assert (result.sent, result.retrying, result.failed) == (3, 0, 0)
    stored = rows()
    assert [r.id for r in stored] == ids
    assert all(r.status == "sent" and r.sent_at and r.claim_token is None for r in stored)
    received = {m["Message-ID"]: m for m in smtp_server.handler.messages}
    assert set(received) == {r.message_id for r in stored}
    first = received[stored[0].message_id]
    assert first["To"] == "shopper0@example.com"
    assert first["From"] == "Stride Adaptive <shop@shop.test>"
    assert first["Subject"] == "Order SA-00000 confirmed: thank you"
    text = first.get_body(("plain",)).get_content()
    html = first.get_body(("html",)).get_content()
    assert "http://shop.test/orders/token0" in text and "http://shop.test/orders/token0" in html
    assert smtp_server.handler.envelopes[0] == ("shop@shop.test", ["shopper0@example.com"])
    # A second pass has nothing left to do.
    assert delivery.deliver_pending(smtp(smtp_server)).settled == 0
    assert len(smtp_server.handler.messages) == 3


@pytest.mark.real_commits
def test_two_senders_at_once_deliver_each_message_exactly_once(app, smtp_server, queued):
    ids = queued(40)
    smtp_server.handler.delay = 0.002
    results, errors = [], []

    def sender():
        try:
            with app.app_context():
                results.append(delivery.deliver_pending(smtp(smtp_server), batch_size=3))
                db.session.remove()
        except Exception as error:  # surfaced below; a thread cannot fail the test itself
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    counts = Counter(smtp_server.handler.message_ids())
    assert len(counts) == len(ids) and set(counts.values()) == {1}
    assert sum(r.sent for r in results) == 40
    assert all(r.sent > 0 for r in results), "both senders should have taken a share"
    assert {r.status for r in rows()} == {"sent"}


@pytest.mark.real_commits
def test_two_sender_processes_deliver_each_message_exactly_once(app, smtp_server, queued,
                                                                 database_url, tmp_path):
    queued(30)
    smtp_server.handler.delay = 0.002
    env = dict(os.environ, DATABASE_URL=database_url, MAIL_URL=smtp_server.url,
               SECRET_KEY="process-test-secret", PUBLIC_URL="http://shop.test")
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "mail", "send", "--batch", "2"]
    processes = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    counts = Counter(smtp_server.handler.message_ids())
    assert len(counts) == 30 and set(counts.values()) == {1}
    assert all("failed for good" in out for out, _ in outputs)
    assert {r.status for r in rows()} == {"sent"}


def test_a_crash_between_sending_and_marking_sends_again_with_the_same_message_id(
        app, smtp_server, queued, monkeypatch):
    [message_id] = queued(1)
    clock = Clock()
    real_mark_sent = mail.mark_sent

    def crash(*args, **kwargs):
        raise SystemExit("the sender's host lost power")

    monkeypatch.setattr(mail, "mark_sent", crash)
    with pytest.raises(SystemExit):
        delivery.deliver_pending(smtp(smtp_server), clock=clock)
    monkeypatch.setattr(mail, "mark_sent", real_mark_sent)
    assert len(smtp_server.handler.messages) == 1
    [row] = rows()
    assert row.status == "pending" and row.claim_token is not None

    # Another sender leaves it alone while the crashed one's lease lasts ...
    clock.advance(minutes=4)
    assert delivery.deliver_pending(smtp(smtp_server), clock=clock).settled == 0
    # ... and sends it again once the lease has run out.
    clock.advance(minutes=2)
    result = delivery.deliver_pending(smtp(smtp_server), clock=clock)
    assert result.sent == 1
    first, second = smtp_server.handler.messages
    assert first["Message-ID"] == second["Message-ID"] == row.message_id
    [row] = rows()
    assert row.id == message_id and row.status == "sent"


def test_a_refusing_server_leads_to_retries_with_backoff_then_failed(app, smtp_server, queued,
                                                                    runner, caplog):
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    queued(1)
    smtp_server.handler.refuse_rcpt = "451 4.3.0 Mailbox busy, try later"
    clock = Clock()
    started = clock.now

    result = delivery.deliver_pending(smtp(smtp_server), clock=clock)
    assert (result.sent, result.retrying, result.failed) == (0, 1, 0)
    [row] = rows()
    assert row.status == "pending" and row.attempts == 1
    assert "451 4.3.0 Mailbox busy" in row.last_error
    assert row.next_attempt_at.replace(tzinfo=None) == (started + timedelta(minutes=1)).replace(
        tzinfo=None)

    # Not due yet: nothing is tried.
    clock.advance(seconds=30)
    assert delivery.deliver_pending(smtp(smtp_server), clock=clock).settled == 0
    clock.advance(seconds=31)
    assert delivery.deliver_pending(smtp(smtp_server), clock=clock).retrying == 1
    [row] = rows()
    assert row.attempts == 2
    assert row.next_attempt_at.replace(tzinfo=None) == (clock.now + timedelta(minutes=2)).replace(
        tzinfo=None)

    clock.advance(minutes=2)
    with caplog.at_level(logging.ERROR, logger="storefront.mail"):
        assert delivery.deliver_pending(smtp(smtp_server), clock=clock).failed == 1
    [row] = rows()
    assert row.status == "failed" and row.attempts == 3
    assert any(r.levelno == logging.ERROR and "Gave up on mail" in r.getMessage()
               for r in caplog.records)
    assert smtp_server.handler.messages == []

    status = runner.invoke(args=["mail", "status"])
    assert "Failed:  1" in status.output
    assert f"#{row.id} order_paid to shopper0@example.com, 3 attempt(s): " in status.output
    assert "451 4.3.0 Mailbox busy" in status.output

    # Once the server is fixed, staff put it back and it goes out.
    smtp_server.handler.refuse_rcpt = None
    assert "Queued 1 failed message(s) again" in runner.invoke(
        args=["mail", "retry", "--all-failed"]).output
    assert delivery.deliver_pending(smtp(smtp_server)).sent == 1
    assert len(smtp_server.handler.messages) == 1


def test_a_temporary_data_error_is_retried_not_lost(app, smtp_server, queued):
    queued(2)
    smtp_server.handler.refuse_data = "452 4.3.1 Insufficient system storage"
    result = delivery.deliver_pending(smtp(smtp_server))
    assert result.retrying == 2
    smtp_server.handler.refuse_data = None
    clock = Clock()
    clock.advance(minutes=1, seconds=1)
    assert delivery.deliver_pending(smtp(smtp_server), clock=clock).sent == 2


def test_a_mailbox_that_does_not_exist_fails_at_once(app, smtp_server, queued):
    queued(1)
    smtp_server.handler.refuse_rcpt = "550 5.1.1 No such user"
    assert delivery.deliver_pending(smtp(smtp_server)).failed == 1
    [row] = rows()
    assert row.status == "failed" and row.attempts == 1 and "550 5.1.1" in row.last_error


def test_an_unreachable_server_stops_the_pass_and_keeps_every_message(app, queued):
    from tests.mail.conftest import free_port

    queued(3)
    transport = SmtpTransport(parse_mail_url(f"smtp://127.0.0.1:{free_port()}?timeout=2"))
    result = delivery.deliver_pending(transport)
    assert result.retrying == 3 and result.sent == 0
    assert "could not reach SMTP 127.0.0.1" in result.stopped_early
    assert all(r.status == "pending" and r.attempts == 1 and "ConnectionRefusedError"
               in r.last_error for r in rows())


def test_starttls_with_login(app, tls_smtp_server, client_tls_context, queued):
    server = tls_smtp_server("starttls")
    queued(1)
    url = f"smtp://shop:p%40ss%3Aword@127.0.0.1:{server.port}?tls=1"
    assert delivery.deliver_pending(smtp(server, client_tls_context, url)).sent == 1
    assert len(server.handler.messages) == 1

    # A wrong password keeps the message for a later try, saying why.
    queued(1, start=1)
    wrong = f"smtp://shop:wrong@127.0.0.1:{server.port}?tls=1"
    result = delivery.deliver_pending(smtp(server, client_tls_context, wrong))
    assert result.retrying == 1 and "535" in result.stopped_early


# aiosmtpd cannot tell a TLS-wrapped socket is encrypted, so it warns about AUTH without TLS.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_implicit_tls_with_login(app, tls_smtp_server, client_tls_context, queued):
    server = tls_smtp_server("ssl")
    queued(1)
    url = f"smtps://shop:p%40ss%3Aword@127.0.0.1:{server.port}"
    assert delivery.deliver_pending(smtp(server, client_tls_context, url)).sent == 1
    assert len(server.handler.messages) == 1


def test_without_mail_url_messages_land_in_a_folder_and_the_log(app, queued, tmp_path, caplog):
    ids = queued(2)
    with caplog.at_level(logging.INFO, logger="storefront.mail"):
        result = delivery.deliver_pending(FolderTransport(tmp_path / "outbox"))
    assert result.sent == 2
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert [f.name for f in files] == [f"{i:06d}-order_paid.eml" for i in ids]
    content = files[0].read_text()
    assert "Subject: Order SA-00000 confirmed: thank you" in content
    assert "Message-ID: " + rows()[0].message_id in content
    assert any("saved to" in r.getMessage() and "http://shop.test/orders/token0"
               in r.getMessage() for r in caplog.records)


def test_send_command_uses_the_folder_in_development_and_summarises(app, runner, queued,
                                                                   tmp_path):
    app.config["MAIL_URL"] = None
    app.instance_path = str(tmp_path)
    queued(2)
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "Sent 2 message(s); 0 will be retried later; 0 failed for good." in result.output
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
    status = runner.invoke(args=["mail", "status"]).output
    assert "Sent:    2" in status and "MAIL_URL is not set" in status


def test_send_command_over_smtp_exits_1_when_a_message_fails_for_good(app, runner, queued,
                                                                     smtp_server):
    app.config["MAIL_URL"] = smtp_server.url
    queued(1)
    smtp_server.handler.refuse_rcpt = "550 5.1.1 No such user"
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 1
    assert "0 will be retried later; 1 failed for good." in result.output


def test_a_malformed_mail_url_stops_the_sender_with_a_clear_message(app, runner, queued):
    app.config["MAIL_URL"] = "smtp//mail.test"
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 1
    assert "MAIL_URL starts with nothing instead of smtp:// or smtps://" in result.output
    assert "Traceback" not in result.output


def test_retry_needs_ids_or_all_failed(app, runner):
    result = runner.invoke(args=["mail", "retry"])
    assert result.exit_code == 2 and "--all-failed" in result.output


@pytest.mark.real_commits
def test_send_loop_delivers_new_messages_and_stops_cleanly_on_sigterm(app, smtp_server, queued,
                                                                      database_url):
    queued(1)
    env = dict(os.environ, DATABASE_URL=database_url, MAIL_URL=smtp_server.url,
               SECRET_KEY="process-test-secret", PUBLIC_URL="http://shop.test")
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "mail", "send", "--loop",
         "--interval", "0.5"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while len(smtp_server.handler.messages) < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        queued(1, start=1)  # queued while the loop runs: the next pass takes it
        while len(smtp_server.handler.messages) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert len(smtp_server.handler.messages) == 2, err
    assert process.returncode == 0, err
    assert "Sending to SMTP 127.0.0.1" in out and out.rstrip().endswith("Stopped.")
