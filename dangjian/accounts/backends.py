"""The sign-in backend: Django's, with the user's scope organization read in the same query."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class ScopedModelBackend(ModelBackend):
    """Every request of a signed-in user reads their scope (SPEC §1: what they may see), so the
    user is loaded together with it instead of by a second query."""

    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related("scope")
        user = users.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
