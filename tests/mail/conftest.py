"""A real SMTP server (aiosmtpd) on a free localhost port, recording what it receives."""

import email
import socket
import ssl
import subprocess
import threading
import time
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from storefront.database import transactional
from storefront.extensions import db
from storefront.mail import service as mail


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder:
    """An aiosmtpd handler that keeps every accepted message, or answers as told.

    `refuse_rcpt` / `refuse_data` hold an SMTP reply (e.g. "451 4.3.0 Try later")
    given instead of accepting; `delay` slows DATA so concurrent senders interleave.
    """

    def __init__(self):
        self.messages = []
        self.envelopes = []
        self.lock = threading.Lock()
        self.refuse_rcpt = None
        self.refuse_data = None
        self.delay = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            time.sleep(self.delay)  # blocks the server loop on purpose: a slow server
        if self.refuse_data:
            return self.refuse_data
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 2.0.0 Accepted"

    def message_ids(self):
        with self.lock:
            return [m["Message-ID"] for m in self.messages]


class SmtpServer:
    def __init__(self, controller, handler):
        self.controller = controller
        self.handler = handler
        self.port = controller.port

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"


@pytest.fixture
def smtp_server():
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer(controller, handler)
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, made with the openssl command line."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_smtp_server(tls_files):
    """Start an SMTP server offering STARTTLS and login, or implicit TLS: server(mode)."""
    cert, key = tls_files
    started = []

    def start(mode):
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_context.load_cert_chain(cert, key)
        handler = Recorder()

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login == b"shop" and auth_data.password == b"p@ss:word"
            # handled=False lets aiosmtpd answer the failure with 535 itself.
            return AuthResult(success=ok, handled=False)

        if mode == "starttls":
            controller = Controller(handler, hostname="127.0.0.1", port=free_port(),
                                    tls_context=server_context, require_starttls=True,
                                    authenticator=authenticator, auth_required=True)
        else:
            controller = Controller(handler, hostname="127.0.0.1", port=free_port(),
                                    ssl_context=server_context, auth_require_tls=False,
                                    authenticator=authenticator, auth_required=True)
        controller.start()
        started.append(controller)
        return SmtpServer(controller, handler)

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def client_tls_context(tls_files):
    """A client context that trusts the test certificate, and verifies it like production."""
    context = ssl.create_default_context(cafile=str(tls_files[0]))
    return context


@transactional
def queue_messages(count, start=0):
    """Queue `count` order confirmations in one committed transaction; returns their ids."""
    ids = []
    for n in range(start, start + count):
        message = mail.queue_order_paid(
            to=f"shopper{n}@example.com", order_number=f"SA-{n:05d}",
            order_url=f"/orders/token{n}",
            lines=[mail.Line("Trail Walker", 1, 12900, 12900, detail="Size 8, Wide, Navy")],
            subtotal=12900, total=12900)
        ids.append(message)
    db.session.flush()
    return [m.id for m in ids]


@pytest.fixture
def queued():
    return queue_messages
