"""Back-office forms; Flask-WTF adds and checks the CSRF token of each."""

from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    FileField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)

from ..inputs import parse_int
from ..inventory.service import MAX_UNITS, STAFF_REASONS


class WholeNumberField(IntegerField):
    """An integer field with one clear message for text that is not a whole number."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip():
            self.data = parse_int(valuelist[0])
            if self.data is None:
                raise ValueError(f"Enter a whole number, not {valuelist[0][:20]!r}.")
            # Beyond any stock figure; NumberRange would crash comparing it as a float.
            if abs(self.data) > 10**15:
                self.data = None
                raise ValueError("That number is far too large.")

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


def _range(low, high):
    return NumberRange(low, high, message=f"Enter a number from {low:,} to {high:,}.")


class LoginForm(FlaskForm):
    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    next = HiddenField()


class LogoutForm(FlaskForm):
    """Only the CSRF token: logging out is a POST so another site cannot trigger it."""


class AdjustForm(FlaskForm):
    delta = WholeNumberField(
        "Change in units on hand",
        validators=[InputRequired("Enter a whole number of units, e.g. 12 or -3."),
                    _range(-MAX_UNITS, MAX_UNITS)],
        description="Positive adds units, negative removes them.",
    )
    reason = SelectField("Reason", choices=[SelectChoice(value, label)
                                            for value, label in STAFF_REASONS.items()])
    note = StringField("Note", validators=[Optional(), Length(max=500)],
                       description="For example a delivery note number.")


class CountForm(FlaskForm):
    counted = WholeNumberField(
        "Units counted on the shelf",
        validators=[InputRequired("Enter the number of units you counted."),
                    _range(0, MAX_UNITS)],
    )
    expected = WholeNumberField(
        "On hand when you started counting",
        validators=[InputRequired(), _range(0, MAX_UNITS)],
        description="Filled in from the page; if stock moved since, the count is refused.",
    )
    note = StringField("Note", validators=[Optional(), Length(max=500)])


class ReceiveForm(FlaskForm):
    lines = TextAreaField(
        "Delivery lines",
        validators=[DataRequired("List at least one SKU and quantity."), Length(max=100_000)],
        description="One line per SKU: SKU, quantity. For example: SF-WALK-8-W-NAVY, 12",
    )
    note = StringField("Delivery note or reference", validators=[Optional(), Length(max=500)])


class ImportForm(FlaskForm):
    file = FileField("CSV file", validators=[DataRequired("Choose a CSV file to import.")])


class ApplyImportForm(FlaskForm):
    """The previewed CSV travels back in a hidden field, with its digest to detect edits."""

    csv_text = HiddenField(validators=[DataRequired()])
    digest = HiddenField(validators=[DataRequired()])
