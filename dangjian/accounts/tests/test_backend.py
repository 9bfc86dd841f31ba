"""The sign-in backend loads the user with their scope in one query."""

from __future__ import annotations

import pytest

from dangjian.accounts.backends import ScopedModelBackend

pytestmark = pytest.mark.django_db


def test_user_and_scope_in_one_query(officer, tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        user = ScopedModelBackend().get_user(officer.pk)
        assert user.scope.path == tree.root.path
        assert user.scope_path == tree.root.path


def test_no_user_for_an_unknown_or_disabled_account(officer):
    assert ScopedModelBackend().get_user(officer.pk + 1000) is None
    officer.is_active = False
    officer.save(update_fields=["is_active"])
    assert ScopedModelBackend().get_user(officer.pk) is None


def test_a_signed_in_request_reads_the_scope_with_the_user(client, officer, tree):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from conftest import client_for

    client_for(client, officer)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/orgs/").status_code == 200
    user_queries = [q["sql"] for q in ctx.captured_queries if 'FROM "accounts_user"' in q["sql"]]
    assert len(user_queries) == 1 and "orgs_organization" in user_queries[0]
