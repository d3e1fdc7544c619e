"""The base of every domain error; `errors.py` turns them into pages or JSON."""


class DomainError(Exception):
    """A refusal a user can understand. `status` is the HTTP status it maps to."""

    status = 400
    code = "refused"

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def to_dict(self):
        return {"error": self.code, "message": self.message}


class InvalidFields(DomainError):
    """Input refused field by field: `errors` maps each field to what is wrong with it.
    Nothing was changed. The message, when not given, says every problem in turn."""

    status = 422
    code = "invalid_input"
    # The JSON key the field problems go under; the older staff editors named it `fields`.
    errors_key = "errors"

    def __init__(self, message=None, errors=None):
        self.errors = errors or {}
        super().__init__(message or " ".join(self.errors.values()))

    def to_dict(self):
        return super().to_dict() | {self.errors_key: self.errors}
