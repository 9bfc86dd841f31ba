"""Base classes for scoped API views: the queryset always passes `visible_to(user)`."""

from __future__ import annotations

from rest_framework import permissions, viewsets
from rest_framework.exceptions import NotFound

from dangjian.accounts.roles import Perm


class RolePermission(permissions.IsAuthenticated):
    """Reads need a sign-in; writes need the view's `write_perm` for the user's role, or the
    permission `action_perms` names for that action."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        needed = getattr(view, "action_perms", {}).get(getattr(view, "action", None))
        return request.user.can(needed or getattr(view, "write_perm", Perm.MANAGE_USERS))


class ScopedViewSet(viewsets.GenericViewSet):
    """Every object comes from `model.objects.visible_to(user)`, so outside the scope is 404."""

    permission_classes = [RolePermission]
    scoped_model = None
    write_perm = None

    def get_queryset(self):
        return self.scoped_model.objects.visible_to(self.request.user)

    def get_object(self):
        """The object by primary key inside the scope; missing, malformed and outside all 404."""
        try:
            return self.get_queryset().get(pk=int(self.kwargs["pk"]))
        except (self.scoped_model.DoesNotExist, ValueError, OverflowError):
            raise NotFound("未找到") from None
