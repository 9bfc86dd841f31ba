"""Loading demo data (SPEC §5b `manage.py demo`): generated rows go through the normal import,
so the demo exercises the same validation and bulk paths as a real county's workbook."""

from __future__ import annotations

import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from dangjian.accounts import second_factor
from dangjian.accounts.models import User
from dangjian.accounts.roles import Role
from dangjian.core.bulk import is_postgresql
from dangjian.demo.generate import write_csv_dir
from dangjian.demo.ledger import LEDGER_END
from dangjian.imports.runner import ImportOutcome, run_import
from dangjian.orgs.choices import BRANCH_TYPES
from dangjian.orgs.models import Organization


def ledger_years_for(size: str) -> tuple[int, ...] | None:
    """The years of ledgers in the demo of `size` (None: the county's, both demo years).

    A city and a province get one year (SPEC §7), the current one up to the demo's today, so
    that today's dashboards, reminders and bulletins have data. On SQLite the import holds
    the ledgers in memory (≈ 1.6 KiB a row: a city's year ≈ 6 GiB); a province's ≈ 40
    million rows are imported streamed, which only PostgreSQL does, so on SQLite the
    province has its tree, members and scores only (`PROVINCE_WITHOUT_LEDGERS`)."""
    if size == "county":
        return None
    if size == "province" and not is_postgresql():
        return ()
    return (LEDGER_END.year,)


PROVINCE_WITHOUT_LEDGERS = (
    "提示：SQLite 上的省级演示数据不含组织生活和党费台账（约 4,000 万行，需 PostgreSQL 流式导入；"
    "设置 DATABASE_URL 指向 PostgreSQL 后重新运行即可）。"
)


def load_demo(size: str, seed: int, progress=None) -> ImportOutcome:
    """Generate the demo jurisdiction of `size` from `seed` and import it (idempotent)."""
    from dangjian.demo.scores import DEMO_SCORE_YEARS

    ledger_years = ledger_years_for(size)
    with tempfile.TemporaryDirectory(prefix="dangjian-demo-") as tmp:
        write_csv_dir(size, seed, Path(tmp), ledger_years, score_years=DEMO_SCORE_YEARS)
        return run_import(Path(tmp), filename=f"demo-{size}-{seed}", progress=progress)


def _pick_personas() -> dict[str, Organization]:
    root = Organization.objects.get(depth=1)
    committee = (
        Organization.objects.filter(depth=2, is_active=True, org_type__in=["党工委", "党委"])
        .order_by("path")
        .first()
    )
    branch = (
        Organization.objects.filter(
            org_type__in=BRANCH_TYPES,
            is_active=True,
            path__startswith=committee.path if committee else root.path,
        )
        .order_by("path")
        .first()
    )
    return {"root": root, "committee": committee or root, "branch": branch or root}


@dataclass
class DemoAccount:
    """A demo sign-in to print: the password, and for administrators the TOTP secret and a
    few of the recovery codes."""

    username: str
    password: str
    role: str
    scope: str
    totp_secret: str = ""
    otpauth_url: str = ""
    qr: str = ""
    recovery_codes: list[str] = field(default_factory=list)


@transaction.atomic
def ensure_demo_users() -> list[DemoAccount]:
    """Create or reset the demo accounts with fresh random passwords. Accounts that need a
    second factor get a TOTP device (kept across runs, so an authenticator app that holds its
    secret keeps working) and new recovery codes. No forced password change: the person
    running the demo is the one who signs in."""
    orgs = _pick_personas()
    personas = [
        ("admin", "组织部管理员", Role.ADMIN, orgs["root"], True),
        ("leader", "县委领导", Role.LEADER, orgs["root"], False),
        ("committee", "机关工委管理员", Role.COMMITTEE, orgs["committee"], False),
        ("secretary", "支部书记", Role.SECRETARY, orgs["branch"], False),
    ]
    printed = []
    for username, display, role, scope, superuser in personas:
        password = secrets.token_urlsafe(9)
        user, _ = User.objects.get_or_create(username=username)
        user.display_name = display
        user.role = role
        user.scope = scope
        user.is_superuser = superuser
        user.is_staff = superuser
        user.is_active = True
        user.must_change_password = False
        user.set_password(password)
        user.save()
        account = DemoAccount(username, password, Role(role).label, scope.name)
        if second_factor.needs_second_factor(user):
            device, codes = second_factor.provision(None, user)
            account.totp_secret = second_factor.secret_text(device)
            account.otpauth_url = device.config_url
            account.qr = second_factor.terminal_qr(device)
            account.recovery_codes = codes
        printed.append(account)
    return printed


def evaluate_demo_years() -> list[str]:
    """Compute compliance of the years that have ledgers and the assessment of the years that
    have 考核得分, so the pages of a fresh demo are not empty."""
    from django.utils import timezone

    from dangjian.assessment.engine import evaluate_assessment
    from dangjian.assessment.models import AssessmentRecord
    from dangjian.compliance.engine import evaluate_year
    from dangjian.ledger.models import Meeting
    from dangjian.rectification.services import open_rectifications

    today = timezone.localdate()
    years = sorted({d.year for d in Meeting.objects.dates("held_on", "year")} | {today.year})
    lines = []
    for year in years:
        result = evaluate_year(year, today=today)
        lines.append(
            f"{year}年度达标评价：{result.stats['organizations']} 个支部，"
            f"欠缴党费 {result.stats['dues_arrears']} 人，用时 {result.seconds:.1f} 秒"
        )
    scored = AssessmentRecord.objects.order_by("year").values_list("year", flat=True).distinct()
    for year in scored:
        done = evaluate_assessment(year)
        opened = open_rectifications(None, year)
        s = done.stats
        lines.append(
            f"{year}年度考核：{s['scored']} 个组织，先进 {s.get('先进', 0)}、"
            f"后进 {s.get('后进', 0)}（软弱涣散 {s.get('软弱涣散', 0)}，整顿台账 {opened} 个），"
            f"用时 {done.seconds:.1f} 秒"
        )
    return lines


def send_demo_reminders() -> str:
    """Today's 日提醒, 周通报 and 月约谈 (every kind the schedule sends) for the demo accounts'
    organizations, whatever the time of day."""
    from django.utils import timezone

    from dangjian.compliance.schedule import REMINDERS

    today = timezone.localdate()
    sent = sum(send(today) for _due, send in REMINDERS.values())
    return f"已发送提醒与通报 {sent} 条"
