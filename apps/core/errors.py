"""One base for the errors the domain raises: what went wrong, for people and for programs.

A service refuses an operation by raising a subclass of `DomainError`. The subclass says, as
class attributes, what a client needs to react to it:

- `code`: a stable snake_case string clients may branch on (it never changes with wording);
- `status`: the HTTP status an API answers with (4xx: the request, not cxdesk, is at fault);
- `field`: when the error is about one input, its name (None otherwise).

An instance carries the message (`str(exc)`, or `message` when the text for the client is
shorter than the one for logs) and, optionally, per-field detail (`fields`, shaped like a
serializer's errors: {"assignee": ["…"]}). The API maps the base class once
(apps.api.errors.exception_handler) into its envelope:

    {"error": {"status": exc.status, "code": exc.code, "message": exc.message,
               "fields": exc.fields}}          # fields only when there are some

Callers that handle an error themselves (a page, a form, a task) catch the specific subclass.
A subclass whose code or status depends on the case sets them on the instance (chat tokens).
The shape follows Zulip's JsonableError: data on the class, no mapping table elsewhere.
"""


class DomainError(Exception):
    code: str = "bad_request"
    status: int = 400
    field: str | None = None

    def __init__(self, message: str = "", *, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self._fields = fields

    @property
    def message(self) -> str:
        """The text the client sees."""
        return str(self)

    @property
    def fields(self) -> dict[str, list[str]] | None:
        """Errors per input field, or None: given explicitly, else under `field` if set."""
        if getattr(self, "_fields", None) is not None:
            return self._fields
        if self.field:
            return {self.field: [self.message]}
        return None
