"""Creating accounts: role and scope are required and checked; the creation is audited."""

import pytest
from django.core.management import CommandError, call_command

from dangjian.accounts.models import AuditEntry, User

pytestmark = pytest.mark.django_db


def test_add_user_prints_a_working_password(tree, capsys):
    call_command("add_user", "zhangsan", "--role", "committee", "--scope", "A", "--name", "张三")
    out = capsys.readouterr().out
    password = out.strip().splitlines()[-1].split("：")[1]
    user = User.objects.get(username="zhangsan")
    assert user.check_password(password) and user.scope == tree.a and user.role == "committee"
    assert AuditEntry.objects.filter(object_type="用户", object_repr="zhangsan").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x1", "--role", "boss", "--scope", "A"], "未知的角色"),
        (["x2", "--role", "admin", "--scope", "NOPE"], "不存在"),
    ],
)
def test_bad_input_is_refused(tree, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("add_user", *args)
    assert not User.objects.filter(username__in=["x1", "x2"]).exists()
