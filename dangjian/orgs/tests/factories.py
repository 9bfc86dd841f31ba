"""Test helpers that build organizations through the real services (treebeard paths included)."""

from __future__ import annotations

import itertools

from dangjian.orgs import services
from dangjian.orgs.models import Category, Organization

_codes = itertools.count(1)


def make_org(
    parent: Organization | None, org_type: str = "党支部", category: str = "机关", **fields
) -> Organization:
    """Create an organization under `parent` with a fresh code unless one is given."""
    number = next(_codes)
    fields.setdefault("code", f"T{number:05d}")
    fields.setdefault("name", f"测试组织{number}")
    return services.create_organization(
        None,
        parent=parent,
        org_type=org_type,
        category=Category.objects.get(name=category),
        **fields,
    )
