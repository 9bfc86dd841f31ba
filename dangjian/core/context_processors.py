"""Template flags for the navigation: which menus the signed-in user's role may use."""

from dangjian.accounts.roles import Perm
from dangjian.orgs import categories


def role_flags(request):
    """perms_* booleans for base.html."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "perms_import": user.can(Perm.IMPORT),
        "perms_export": user.can(Perm.EXPORT),
        "perms_audit": user.can(Perm.VIEW_AUDIT),
        "perms_edit_orgs": user.can(Perm.EDIT_ORGS),
        "perms_edit_members": user.can(Perm.EDIT_MEMBERS),
        "perms_reveal": user.can(Perm.REVEAL_PII),
        "perms_categories": categories.can_manage(user),
    }
