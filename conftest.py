"""Shared fixtures: a small jurisdiction and the personas of STYLE.md (an officer, a
committee administrator, a branch secretary, and an outsider who sees nothing)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from dangjian.accounts.models import User
from dangjian.accounts.roles import Role
from dangjian.accounts.testing import sign_in
from dangjian.members import services as member_services
from dangjian.members.tests.factories import MemberDataFactory
from dangjian.orgs.tests.factories import make_org

PASSWORD = "Test-Password-2026"


@pytest.fixture(autouse=True)
def _stream_small_csv_directories(settings):
    """The tests' CSV directories are small: on PostgreSQL they stream like a city's, so the
    streamed import is what they check (test_streaming_threshold checks the size rule)."""
    settings.IMPORT_STREAMING_MIN_BYTES = 0


@pytest.fixture
def tree(db):
    """R (county) → A (机关工委) → A1, A2 branches; R → T (township) → T1 branch."""
    return build_tree()


def build_tree() -> SimpleNamespace:
    """The `tree` fixture's organizations (for fixtures that need them on other terms)."""
    root = make_org(
        None,
        "党委",
        "县(市区)",
        code="R",
        name="中共测试县委员会",
        staff_count=200,
        party_staff_count=2,
    )
    a = make_org(root, "党工委", "机关", code="A", name="县委机关工委")
    a1 = make_org(
        a,
        "党支部",
        "机关-政府组成部门",
        code="A1",
        name="财政局机关党支部",
        staff_count=60,
        party_staff_count=1,
    )
    a2 = make_org(a, "党支部", "机关-党群部门", code="A2", name="组织部机关党支部")
    t = make_org(root, "党委", "乡镇", code="T", name="中共狮山镇委员会")
    t1 = make_org(t, "党支部", "村", code="T1", name="新村村党支部")
    return SimpleNamespace(root=root, a=a, a1=a1, a2=a2, t=t, t1=t1)


@pytest.fixture
def members(tree):
    """Three members in A1 (one secretary), two in A2, two in T1."""
    made = SimpleNamespace()
    made.a1 = [
        member_services.add_member(None, MemberDataFactory(posts=("书记",)), tree.a1),
        member_services.add_member(None, MemberDataFactory(), tree.a1),
        member_services.add_member(None, MemberDataFactory(member_type="预备"), tree.a1),
    ]
    made.a2 = [member_services.add_member(None, MemberDataFactory(), tree.a2) for _ in range(2)]
    made.t1 = [member_services.add_member(None, MemberDataFactory(), tree.t1) for _ in range(2)]
    return made


def _user(username: str, role: str, scope) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, role=role, scope=scope)
    return user


@pytest.fixture
def officer(tree):
    """组织部 officer whose scope is the whole county."""
    return _user("officer", Role.ADMIN, tree.root)


@pytest.fixture
def committee_admin(tree):
    """机关工委 administrator: sees A and its branches only."""
    return _user("committee", Role.COMMITTEE, tree.a)


@pytest.fixture
def secretary(tree):
    """Secretary of branch A1."""
    return _user("secretary", Role.SECRETARY, tree.a1)


@pytest.fixture
def outsider(db):
    """A signed-in account with no scope: sees nothing."""
    return _user("outsider", Role.MEMBER, None)


def client_for(client, user):
    """The test client signed in as `user`, past every sign-in step (the second factor of
    administrators included): see dangjian.accounts.testing.sign_in."""
    return sign_in(client, user)


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgresql` (a real server on a PostgreSQL database) belong to the
    PostgreSQL leg of scripts/test: on SQLite they are deselected, not skipped."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    keep = [item for item in items if item.get_closest_marker("postgresql") is None]
    dropped = [item for item in items if item.get_closest_marker("postgresql") is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
