"""Where messages go: an SMTP server named by MAIL_URL, or (in development) a folder and the log."""

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 20
_QUERY_OPTIONS = {"tls", "timeout"}


class MailUrlError(ValueError):
    """MAIL_URL cannot be understood; the message says what is wrong and what is expected."""

    def __init__(self, problem):
        super().__init__(
            f"MAIL_URL {problem}. Expected smtp://[user:password@]host[:port][?tls=1] "
            "(tls=1 for STARTTLS) or smtps://[user:password@]host[:port] (TLS from the start).")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # "none", "starttls" or "ssl"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT

    def describe(self):
        """Where mail goes, for logs and status pages; never the password."""
        who = f"{self.username}@" if self.username else ""
        tls = {"none": "", "starttls": " with STARTTLS", "ssl": " over TLS"}[self.security]
        return f"SMTP {who}{self.host}:{self.port}{tls}"


def parse_mail_url(url):
    """SmtpSettings from MAIL_URL; raises MailUrlError naming the problem."""
    url = (url or "").strip()
    if not url:
        raise MailUrlError("is empty")
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        shown = f"“{parts.scheme}”" if parts.scheme else "nothing"
        raise MailUrlError(f"starts with {shown} instead of smtp:// or smtps://")
    if not parts.hostname:
        raise MailUrlError("names no host")
    try:
        port = parts.port
    except ValueError:
        raise MailUrlError("has a port that is not a number between 1 and 65535") from None
    if port == 0:
        raise MailUrlError("has a port that is not a number between 1 and 65535")
    if parts.path not in ("", "/"):
        raise MailUrlError(f"has a path ({parts.path}) where none belongs")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - _QUERY_OPTIONS)
    if unknown:
        raise MailUrlError(f"has unknown option(s) {', '.join(unknown)} (known: tls, timeout)")
    tls = query.get("tls", ["0"])[-1].lower()
    if tls not in ("0", "1", "true", "false", "yes", "no", ""):
        raise MailUrlError(f"has tls={tls}; use tls=1 or tls=0")
    starttls = tls in ("1", "true", "yes")
    if parts.scheme == "smtps" and starttls:
        raise MailUrlError("asks for both smtps:// and tls=1; smtps:// already encrypts, "
                           "use smtp://...?tls=1 for STARTTLS")
    try:
        timeout = float(query.get("timeout", [DEFAULT_TIMEOUT])[-1])
    except ValueError:
        raise MailUrlError("has a timeout that is not a number of seconds") from None
    if not 0 < timeout <= 600:
        raise MailUrlError("has a timeout outside 1..600 seconds")
    if parts.scheme == "smtps":
        security, default_port = "ssl", 465
    else:
        security, default_port = ("starttls", 587) if starttls else ("none", 25)
    if parts.password is not None and not parts.username:
        raise MailUrlError("has a password but no user name")
    return SmtpSettings(
        host=parts.hostname,
        port=port or default_port,
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        timeout=timeout,
    )


def build_email(message):
    """The RFC 5322 message for an outbox row: text and HTML alternatives, stable Message-ID."""
    email = EmailMessage()
    email["From"] = message.sender
    email["To"] = ", ".join(message.recipients)
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email["Date"] = format_datetime(message.created_at)
    for name, value in (message.headers or {}).items():
        email[name] = value
    email.set_content(message.text_body)
    email.add_alternative(message.html_body, subtype="html")
    return email


class SmtpTransport:
    """Delivers over one SMTP connection per batch, opened by `connect()`."""

    def __init__(self, settings, ssl_context=None):
        self.settings = settings
        self.ssl_context = ssl_context or ssl.create_default_context()

    def describe(self):
        return self.settings.describe()

    def connect(self):
        """An open, greeted (and, as configured, encrypted and logged-in) SMTP connection."""
        s = self.settings
        if s.security == "ssl":
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self.ssl_context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            smtp.ehlo()
            if s.security == "starttls":
                smtp.starttls(context=self.ssl_context)
                smtp.ehlo()
            if s.username:
                smtp.login(s.username, s.password or "")
        except BaseException:
            smtp.close()
            raise
        return SmtpConnection(smtp)


class SmtpConnection:
    def __init__(self, smtp):
        self.smtp = smtp

    def send(self, message):
        """Send one message; raises smtplib errors (or OSError) when the server refuses."""
        email = build_email(message)
        refused = self.smtp.send_message(email, from_addr=_envelope(message.sender),
                                         to_addrs=message.recipients)
        if refused:
            log.warning("Mail %s: the server refused %s", message.message_id,
                        ", ".join(f"{a} ({code})" for a, (code, _) in refused.items()))

    def close(self):
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            self.smtp.close()


def _envelope(sender):
    return parseaddr(sender)[1] or sender


class FolderTransport:
    """Development without MAIL_URL: each message becomes an .eml file and a log entry."""

    def __init__(self, folder):
        self.folder = Path(folder)

    def describe(self):
        return f"the folder {self.folder} (MAIL_URL is not set, nothing leaves this machine)"

    def connect(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        return FolderConnection(self.folder)


class FolderConnection:
    def __init__(self, folder):
        self.folder = folder

    def send(self, message):
        """Write `<id>-<kind>.eml` (a resend overwrites it) and log the plain text."""
        path = self.folder / f"{message.id:06d}-{message.kind}.eml"
        tmp = path.with_suffix(".eml.tmp")
        tmp.write_bytes(bytes(build_email(message)))
        tmp.replace(path)
        log.info("Mail not sent (MAIL_URL is not set), saved to %s\nTo: %s\nSubject: %s\n\n%s",
                 path, ", ".join(message.recipients), message.subject, message.text_body)

    def close(self):
        pass


def transport_for(mail_url, folder):
    """The SMTP transport MAIL_URL names, or the folder transport when it is unset."""
    if mail_url:
        return SmtpTransport(parse_mail_url(mail_url))
    return FolderTransport(folder)
