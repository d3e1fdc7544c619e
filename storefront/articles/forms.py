"""The comment form; Flask-WTF adds and checks its CSRF token."""

from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp

# Good enough to catch typos; the address is never mailed without staff seeing it.
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class CommentForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Tell us your name."), Length(max=80)])
    email = EmailField(
        "E-mail address",
        validators=[DataRequired("Enter your e-mail address."), Length(max=254),
                    Regexp(EMAIL, message="Enter an e-mail address like name@example.com.")],
        description="Never shown; we only use it if we need to ask about your comment.",
    )
    body = TextAreaField(
        "Comment",
        validators=[DataRequired("Write your comment."),
                    Length(max=4000, message="Comments are at most 4,000 characters.")],
    )
    # Hidden from people (CSS and aria-hidden); form-filling robots fill it in.
    website = StringField("Leave this field empty", validators=[Length(max=200)])

    @property
    def is_robot(self):
        return bool((self.website.data or "").strip())
