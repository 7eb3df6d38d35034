"""Domain errors. Each carries a catalog `key` and `params`, so the dialog layer
can turn it into a message in the user's language without parsing strings."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    key = "error.domain"

    def __init__(self, message: str = "", **params: Any) -> None:
        super().__init__(message or self.key)
        self.params = params


class NotFound(DomainError):
    key = "error.not_found"


class PermissionDenied(DomainError):
    """The person may not do this here (another unit, another tenant, wrong role)."""

    key = "error.permission_denied"


class PeriodClosed(DomainError):
    key = "error.period_closed"


class InvalidTransition(DomainError):
    """E.g. approving a draft, or editing an approved follow-up."""

    key = "error.invalid_transition"


class ValidationFailed(DomainError):
    """Input that breaks a rule; `problems` maps a field name to a catalog key."""

    key = "error.validation"

    def __init__(self, problems: dict[str, str], message: str = "") -> None:
        super().__init__(message or f"validation failed: {problems}", problems=problems)
        self.problems = problems


class ConcurrencyConflict(DomainError):
    """A save based on a stale version. `current` is what is stored now, so the
    user can be shown who changed it and the values they would overwrite."""

    key = "error.conflict"

    def __init__(self, current: Any = None, message: str = "") -> None:
        super().__init__(message or "stale version", current=current)
        self.current = current


class ProfileError(DomainError):
    """An invalid profile file: names the file, the field and what was expected."""

    key = "error.profile"

    def __init__(self, file: str, field: str, expected: str) -> None:
        super().__init__(f"{file}: field '{field}': expected {expected}", file=file, field=field, expected=expected)
        self.file = file
        self.field = field
        self.expected = expected
