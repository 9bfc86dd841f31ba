"""The one error type that business rules raise: a Chinese message a user can act on."""

from __future__ import annotations


class BusinessError(Exception):
    """Input or an action that breaks a rule. Nothing has been changed when it is raised.

    `field` names the form/API field the message belongs to, when there is one.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message
