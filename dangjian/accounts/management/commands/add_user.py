"""`manage.py add_user USERNAME --role ROLE --scope ORG_CODE`: create an account and print its
initial password, which the user must change at the first sign-in."""

from django.core.management.base import BaseCommand, CommandError

from dangjian.accounts.roles import Role
from dangjian.accounts.services import add_user
from dangjian.core.errors import BusinessError
from dangjian.orgs.models import Organization


class Command(BaseCommand):
    help = "新建用户账号（角色 + 管辖范围），并打印初始密码。"

    def add_arguments(self, parser):
        parser.add_argument("username")
        roles = "、".join(f"{value}={label}" for value, label in Role.choices)
        parser.add_argument("--role", required=True, help=f"角色：{roles}")
        parser.add_argument("--scope", required=True, help="管辖范围：组织编码")
        parser.add_argument("--name", default="", help="姓名")

    def handle(self, username, role, scope, name, **options):
        org = Organization.objects.filter(code=scope).first()
        if org is None:
            raise CommandError(f"组织编码 {scope} 不存在")
        try:
            user, password = add_user(None, username, role, org, name)
        except BusinessError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"已创建用户 {user.username}（{user.get_role_display()}，{org.name}）"
            )
        )
        self.stdout.write("该用户首次登录时须修改初始密码。")
        self.stdout.write(f"初始密码：{password}")
