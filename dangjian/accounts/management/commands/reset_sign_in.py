"""`manage.py reset_sign_in USERNAME [--unlock] [--password] [--second-factor]`: help a user
who is locked out, forgot the password or lost the phone with the authenticator app."""

from django.core.management.base import BaseCommand, CommandError

from dangjian.accounts import services
from dangjian.accounts.models import User
from dangjian.accounts.second_factor import reset_second_factor


class Command(BaseCommand):
    help = "解除登录锁定、重置密码（首次登录须修改）或重置动态口令（下次登录重新绑定）。"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--unlock", action="store_true", help="解除该账号的登录锁定")
        parser.add_argument("--password", action="store_true", help="生成新的初始密码")
        parser.add_argument(
            "--second-factor", action="store_true", help="删除动态口令和恢复码，下次登录重新绑定"
        )

    def handle(self, username, unlock, password, second_factor, **options):
        reset_factor = second_factor
        if not (unlock or password or reset_factor):
            raise CommandError("请至少指定 --unlock、--password 或 --second-factor 之一")
        user = User.objects.select_related("scope").filter(username=username).first()
        if user is None:
            raise CommandError(f"用户 {username} 不存在")
        if unlock:
            forgotten = services.unlock(None, user)
            self.stdout.write(f"已解除 {username} 的登录锁定（清除 {forgotten} 次失败记录）")
        if password:
            new = services.reset_password(None, user)
            self.stdout.write(f"{username} 的新初始密码：{new}（首次登录须修改）")
        if reset_factor:
            reset_second_factor(None, user)
            self.stdout.write(f"已重置 {username} 的动态口令，下次登录时重新绑定")
