"""MAIL_URL: what it accepts, and clear words for what it does not."""

import pytest

from storefront.mail.transport import MailUrlError, SmtpSettings, parse_mail_url


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://mail.test", SmtpSettings("mail.test", 25, "none")),
    ("smtp://mail.test:2525", SmtpSettings("mail.test", 2525, "none")),
    ("smtp://mail.test?tls=1", SmtpSettings("mail.test", 587, "starttls")),
    ("smtp://shop%40x.test:p%40ss%3Aword@mail.test:587?tls=1&timeout=5",
     SmtpSettings("mail.test", 587, "starttls", "shop@x.test", "p@ss:word", 5.0)),
    ("smtps://apikey:secret@mail.test", SmtpSettings("mail.test", 465, "ssl", "apikey", "secret")),
    ("smtp://mail.test:25/?tls=0", SmtpSettings("mail.test", 25, "none")),
])
def test_mail_urls_that_work(url, expected):
    assert parse_mail_url(url) == expected


@pytest.mark.parametrize(("url", "problem"), [
    ("", "is empty"),
    ("mail.test:25", "starts with “mail.test” instead of smtp:// or smtps://"),
    ("http://mail.test", "starts with “http” instead of smtp:// or smtps://"),
    ("smtp://", "names no host"),
    ("smtp://mail.test:port", "port that is not a number"),
    ("smtp://mail.test:70000", "port that is not a number"),
    ("smtp://mail.test/inbox", "has a path (/inbox)"),
    ("smtp://mail.test?ssl=1", "unknown option(s) ssl (known: tls, timeout)"),
    ("smtp://mail.test?tls=maybe", "has tls=maybe; use tls=1 or tls=0"),
    ("smtps://mail.test?tls=1", "both smtps:// and tls=1"),
    ("smtp://mail.test?timeout=soon", "timeout that is not a number"),
    ("smtp://:secret@mail.test", "password but no user name"),
])
def test_mail_url_mistakes_are_named(url, problem):
    with pytest.raises(MailUrlError) as caught:
        parse_mail_url(url)
    message = str(caught.value)
    assert problem in message
    assert "Expected smtp://[user:password@]host[:port][?tls=1]" in message


def test_the_password_never_shows_in_descriptions():
    settings = parse_mail_url("smtp://shop:hunter2@mail.test:587?tls=1")
    assert settings.describe() == "SMTP shop@mail.test:587 with STARTTLS"
    assert "hunter2" not in repr(settings)
