"""Account forms; Flask-WTF adds and checks the CSRF token of each."""

from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import Length


class LoginForm(FlaskForm):
    # Checked by service.clean_email, which says what is wrong in words.
    email = EmailField("Your e-mail address", validators=[Length(max=320)])

