"""The world of the scope matrix (SPEC §1, §8): one jurisdiction with two disjoint counties,
every kind of scoped object in each, one user per role inside county A (and one without a
scope), and the registries that tell tests/test_scope_matrix.py how to fill each route's URL
kwargs, query and body.

One deployment serves one jurisdiction whose root is the tree's only root (SPEC §1;
`create_organization` refuses a second root and `is_jurisdiction_root` relies on it), so the
two "counties" are two disjoint subtrees under that root: county A (甲县) holds the users and
the objects inside their scope, county B (乙县) the objects outside it. Every name in county B
carries OUTSIDE_MARKER, so a page or an API answer that leaks county B data is easy to spot.

Everything is built through the services the app tests use, in one transaction that the
module fixture rolls back at the end.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from types import SimpleNamespace

from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models
from django.test import Client
from django.utils import timezone

from dangjian.accounts.models import AuditEntry, User
from dangjian.accounts.roles import Role
from dangjian.accounts.testing import sign_in
from dangjian.assessment.choices import PeerGrouping
from dangjian.assessment.engine import evaluate_assessment
from dangjian.assessment.models import AssessmentRecord, AssessmentResult
from dangjian.assessment.rules import DEFAULT_RULES
from dangjian.assessment.services import RecordInput, save_record
from dangjian.compliance import exemptions
from dangjian.compliance import rules as compliance_rules
from dangjian.compliance.engine import evaluate_year
from dangjian.core.idcard import MALE, make_id_number
from dangjian.core.periods import Month
from dangjian.dashboard import rollups as dashboard_rollups
from dangjian.imports.models import ImportRun
from dangjian.imports.tests.workbooks import write_xlsx
from dangjian.ledger import services as ledger_services
from dangjian.ledger.models import DuesPayment
from dangjian.members import services as member_services
from dangjian.members.tests.factories import MemberDataFactory
from dangjian.notices.models import Notice, NoticeKind
from dangjian.orgs.models import Category, Organization
from dangjian.orgs.tests.factories import make_org
from dangjian.rating import intake as rating_intake
from dangjian.rating import rollups as rating_rollups
from dangjian.rating import services as rating_services
from dangjian.rating.models import Case as RatingCase
from dangjian.rectification import services as rect_services
from dangjian.rectification.choices import LeaderKind
from dangjian.rectification.tests.factories import flag, opened
from dangjian.reports.choices import Kind as BulletinKind
from dangjian.reports.choices import Trigger as BulletinTrigger
from dangjian.reports.periods import year_period
from dangjian.reports.services import generate_bulletin
from dangjian.schemes import services as scheme_services
from dangjian.schemes.choices import RaterKind, Source
from dangjian.schemes.models import ItemScore, RaterScore
from dangjian.schemes.tests.factories import make_scheme

OUTSIDE_MARKER = "乙县"  # in every name of county B; never in a request of the matrix
INSIDE_PREFIX = "甲县"
PASSWORD = "Matrix-Password-2026"  # every matrix-<role> user's
MISSING_ID = 2**31 - 1
MISSING_CODE = "NO-SUCH-ORG"

TODAY = timezone.localdate()
YEAR = TODAY.year - 1  # the assessment year (records, results, the scheme)
RECT_YEAR = YEAR - 1  # the year whose 软弱涣散 organizations have rectification ledgers

# Roles whose users the project scopes to a branch; every other role sits at county level.
BRANCH_ROLES = frozenset({Role.SECRETARY, Role.MEMBER})
# The persona who sees nothing (STYLE.md): a signed-in member without a scope, for whom both
# counties lie outside.
NO_SCOPE = "outsider"

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class Missing:
    """Stands for an object that does not exist: the baseline an outside object must match."""

    pk = MISSING_ID
    id = MISSING_ID
    code = MISSING_CODE
    name = "不存在的对象"


MISSING = Missing()

# --- registries -------------------------------------------------------------------------------

# Which object fills each URL kwarg of each route (by route name; a route's format-suffix
# twin shares its name). A route with a kwarg missing here fails the matrix on purpose.
KWARG_OBJECTS: dict[str, dict[str, str]] = {
    **{f"orgs:{n}": {"pk": "org"} for n in ("detail", "children", "edit", "move", "dissolve")},
    **{f"orgs:{n}": {"pk": "category"} for n in ("category_rename", "category_remove")},
    **{f"members:{n}": {"pk": "member"} for n in ("detail", "edit", "transfer", "reveal")},
    "imports:run": {"pk": "import_run"},
    "imports:run-issues": {"pk": "import_run"},
    "imports:run-progress": {"pk": "import_run"},
    **{f"ledger:{n}": {"pk": "meeting"} for n in ("meeting", "meeting_edit", "meeting_delete")},
    "ledger:attachment": {"pk": "attachment"},
    "compliance:branch": {"pk": "org"},
    "compliance:rule_edit": {"pk": "compliance_rule"},
    "compliance:exemption_remove": {"pk": "exemption"},
    "assessment:explain": {"org_id": "org"},
    "dashboard:org": {"org_id": "org"},
    "assessment:record_delete": {"pk": "record"},
    **{
        f"schemes:{n}": {"pk": "scheme"}
        for n in ("detail", "edit", "publish", "withdraw", "delete", "item_add", "compute", "orgs")
    },
    "schemes:item_edit": {"pk": "scheme", "item_pk": "scheme_item"},
    "schemes:item_delete": {"pk": "scheme", "item_pk": "scheme_item"},
    **{
        f"schemes:{n}": {"pk": "scheme", "org_pk": "org"}
        for n in ("explain", "score", "ratings", "self_check")
    },
    **{
        f"rectification:{n}": {"pk": "rectification"}
        for n in (
            "detail",
            "plan",
            "problem_add",
            "leader_add",
            "progress_add",
            "transform",
            "consolidate",
        )
    },
    **{
        f"rectification:{n}": {"pk": "problem"}
        for n in ("problem_edit", "problem_done", "problem_delete")
    },
    "rectification:leader_delete": {"pk": "leader"},
    **{f"rating:{n}": {"pk": "rated_target"} for n in ("target_edit", "poster")},
    **{
        f"rating:{n}": {"pk": "case"}
        for n in (
            "case",
            "case_assign",
            "case_track",
            "case_reply",
            "case_escalate",
            "case_close",
            "case_phone",
        )
    },
    # REST API (config/api_urls.py)
    **{f"org-{n}": {"pk": "org"} for n in ("detail", "children", "dissolve", "move")},
    **{f"member-{n}": {"pk": "member"} for n in ("detail", "reveal", "transfer")},
    "meeting-detail": {"pk": "meeting"},
    "compliance-rule-detail": {"pk": "compliance_rule"},
    "assessment-record-detail": {"pk": "record"},
    "assessment-result-detail": {"pk": "result"},
    "scheme-detail": {"pk": "scheme"},
    "scheme-explain": {"pk": "scheme"},
    **{
        f"rectification-{n}": {"pk": "rectification"}
        for n in ("detail", "consolidate", "leaders", "plan", "problems", "progress", "transform")
    },
    "reports:pdf": {"pk": "bulletin"},
    "reports:xlsx": {"pk": "bulletin"},
    "rating-target-detail": {"pk": "rated_target"},
    "rating-rating-detail": {"pk": "rating"},
    **{
        f"rating-case-{n}": {"pk": "case"}
        for n in ("detail", "assign", "track", "reply", "escalate", "close")
    },
}

# URL kwargs that name no object: the same value on every side.
CONSTANT_KWARGS = {"format": "json"}

# Objects that are configuration of the whole jurisdiction (every user with a scope reads
# them; SchemeQuerySet.visible_to, compliance rules): there is no "outside" one.
GLOBAL_KINDS = frozenset({"scheme", "scheme_item", "compliance_rule", "category"})

# Public routes without any scoped object: not part of the matrix.
SKIPPED_ROUTES = {
    "login": "public sign-in page, no object",
    "logout": "public sign-out, no object",
    "schema": "public OpenAPI schema, no data",
    "api-docs": "public Swagger UI, no data",
}

# Public routes of SPEC §5b (扫码评议): no sign-in, the same answer for everyone; tested by
# test_public_routes_answer_everyone_alike instead of the scoped matrix. Their URL kwargs are
# filled from PUBLIC_KWARGS.
PUBLIC_ROUTES = {
    "public:api-rating": "POST /api/public/ratings, the public rating endpoint",
    "public:api-case": "GET /api/public/cases/<tracking_code>: a case's state and reply",
    "public:api-case-feedback": "POST …/feedback: the person's 回访",
    "public:rate": "GET /r/<code>: the public rating page",
    "public:qr": "GET /r/<code>/qr.svg|png: the QR code of the page",
    "public:track-form": "GET /r/track/: a box for the tracking code",
    "public:track": "GET /r/track/<tracking_code>: a case's state and reply",
}
PUBLIC_KWARGS: dict[str, Callable] = {
    "code": lambda side: side.rated_target.code,
    "tracking_code": lambda side: side.case.tracking_code,
    "kind": lambda side: "svg",
}


def scope_params(target) -> dict:
    """Scope parameters sent with every request (in the query string, and in the form or JSON
    body of writes): each view reads the ones it knows (`?org=` of the pages, `organization`
    codes of the API, the member list's `branch`/`subtree`) and ignores the rest."""
    return {
        "org": target.org.pk,
        "organization": target.org.code,
        "branch": target.org.code,
        "subtree": target.org.code,
    }


@dataclass(frozen=True)
class Payload:
    """What a route's requests send besides the scope parameters: `query(s, t)` on every
    request, `body(s, t)` on writes, given the side of the path objects `s` and the side of
    the targets named in the query or body `t` (they differ only on the "mixed" side).
    `targets`: the write's target comes from the query or the body, so a write aimed outside
    must change nothing at all."""

    body: Callable = lambda s, t: {}
    query: Callable = lambda s, t: {}
    targets: bool = False


def _member_fields(number: int) -> dict:
    """A new member's form fields (a valid ID number no factory hands out)."""
    birth = dt.date(1980, 1 + number % 12, 1 + number % 28)
    return {
        "id_number": make_id_number("110101", birth, 500 + number, MALE),
        "name": f"矩阵新党员{number}",
        "gender": "男",
        "birth_date": birth.isoformat(),
        "join_date": dt.date(2010, 7, 1).isoformat(),
        "member_type": "正式",
        "phone": "13900000000",
    }


def _category_pk() -> int:
    return Category.objects.get(name="机关-政府组成部门").pk


MONTH = str(Month.of(TODAY))
DAY = TODAY.isoformat()


def _workbook(t) -> dict:
    """An import with a new branch under `t.parent` and a new member in `t.org`: an import
    aimed outside the scope is refused as a whole (a new ImportRun only records it)."""
    member = _member_fields(5)
    buffer = io.BytesIO()
    write_xlsx(
        buffer,
        [["MATRIX-IMP", "矩阵导入支部", t.parent.code, "党支部", "机关-政府组成部门", 0, 0]],
        [
            [
                member["id_number"],
                member["name"],
                member["gender"],
                member["birth_date"],
                member["join_date"],
                member["member_type"],
                t.org.code,
                "",
                member["phone"],
            ]
        ],
    )
    return {"file": SimpleUploadedFile("矩阵导入.xlsx", buffer.getvalue())}


PAYLOADS: dict[str, Payload] = {
    # pages
    "orgs:create": Payload(
        body=lambda s, t: {
            "code": "MATRIX-NEW",
            "name": "矩阵新建组织",
            "org_type": "党支部",
            "category": _category_pk(),
            "staff_count": 0,
            "party_staff_count": 0,
        },
        query=lambda s, t: {"parent": t.parent.pk},
        targets=True,
    ),
    "orgs:search": Payload(query=lambda s, t: {"q": "党支部"}),
    "orgs:options": Payload(query=lambda s, t: {"q": "党支部"}),
    "orgs:edit": Payload(
        body=lambda s, t: {
            "code": s.org.code,
            "name": "矩阵改名支部",
            "org_type": "党支部",
            "category": _category_pk(),
            "staff_count": 10,
            "party_staff_count": 1,
        }
    ),
    "orgs:categories": Payload(body=lambda s, t: {"name": "矩阵新类别"}),
    "orgs:category_rename": Payload(body=lambda s, t: {"name": "矩阵改名类别"}),
    "orgs:move": Payload(body=lambda s, t: {"parent_code": t.county.code}, targets=True),
    "orgs:dissolve": Payload(body=lambda s, t: {"on": DAY, "reason": "矩阵撤销"}),
    "members:create": Payload(body=lambda s, t: _member_fields(1), targets=True),
    "members:export": Payload(query=lambda s, t: {"subtree": t.county.code}, targets=True),
    "members:edit": Payload(body=lambda s, t: _member_fields(2)),
    "members:transfer": Payload(
        body=lambda s, t: {"to_code": t.branch2.code, "on": DAY, "reason": "矩阵转接"},
        targets=True,
    ),
    "ledger:meeting_new": Payload(
        body=lambda s, t: {
            "activity_type": "主题党日",
            "held_on": DAY,
            "topic": "矩阵主题",
            "present": [t.member.pk],
        },
        targets=True,
    ),
    "ledger:meeting_edit": Payload(
        body=lambda s, t: {"activity_type": "主题党日", "held_on": DAY, "topic": "矩阵改主题"}
    ),
    "ledger:dues": Payload(
        body=lambda s, t: {
            "month": MONTH,
            f"due_{t.member.pk}": "30.00",
            f"paid_{t.member.pk}": "30.00",
            f"category_{t.member.pk}": "employed",
        },
        query=lambda s, t: {"month": MONTH},
        targets=True,
    ),
    "ledger:close_year": Payload(body=lambda s, t: {"year": 2001}),
    "compliance:recompute": Payload(body=lambda s, t: {"year": TODAY.year}),
    "compliance:customize": Payload(body=lambda s, t: {"year": TODAY.year}),
    "compliance:rule_edit": Payload(body=lambda s, t: {"min_count": 1, "is_active": "on"}),
    "compliance:exemption_add": Payload(
        body=lambda s, t: {
            "org_code": t.org.code,
            "rule_code": "",
            "first_month": MONTH,
            "last_month": MONTH,
            "reason": "矩阵豁免",
        },
        targets=True,
    ),
    "imports:page": Payload(body=lambda s, t: _workbook(t)),
    "assessment:recompute": Payload(body=lambda s, t: {"year": YEAR}),
    # Peers by category across the jurisdiction: counties A and B share groups, and the
    # comparison shown must still hold county A only.
    "assessment:whatif": Payload(
        query=lambda s, t: {
            **{k: str(v) for k, v in asdict(DEFAULT_RULES).items()},
            "peer_grouping": PeerGrouping.CATEGORY,
            "min_group": 1,
            "year": YEAR,
            "run": 1,
        }
    ),
    "assessment:records": Payload(
        body=lambda s, t: {
            "year": YEAR,
            "organization": t.org.code,
            "party_score": "81",
            "economic_score": "",
            "review_grade": "",
            "talks": "0",
        },
        targets=True,
    ),
    "schemes:score": Payload(
        body=lambda s, t: {"source": Source.YEAR_END, f"score_{s.scheme_item.pk}": "6"}
    ),
    "schemes:ratings": Payload(
        body=lambda s, t: {
            "kind": RaterKind.SUPERIOR,
            "rows": "1",
            "rater_0": "矩阵评议人",
            "score_0": "88",
        }
    ),
    "schemes:self_check": Payload(
        body=lambda s, t: {"action": "save", f"score_{s.scheme_item.pk}": "7"}
    ),
    "rectification:open": Payload(body=lambda s, t: {"year": RECT_YEAR}),
    "rectification:plan": Payload(body=lambda s, t: {"plan": "矩阵整顿方案"}),
    "rectification:problem_add": Payload(
        body=lambda s, t: {"new-problem": "矩阵问题", "new-countermeasure": "矩阵对策"}
    ),
    "rectification:problem_edit": Payload(
        body=lambda s, t: {
            f"p{s.problem.pk}-problem": "矩阵改问题",
            f"p{s.problem.pk}-countermeasure": "矩阵改对策",
        }
    ),
    "rectification:problem_done": Payload(body=lambda s, t: {"done": "1"}),
    "rectification:leader_add": Payload(
        body=lambda s, t: {"kind": LeaderKind.COUNTY_LEADER, "name": "矩阵领导", "post": "副县长"}
    ),
    "rectification:progress_add": Payload(
        body=lambda s, t: {"happened_on": DAY, "content": "矩阵进展"}
    ),
    "rectification:transform": Payload(
        body=lambda s, t: {"acceptance_opinion": "矩阵验收", "acceptor": "矩阵验收人"}
    ),
    "rectification:consolidate": Payload(body=lambda s, t: {"consolidation_note": "矩阵巩固"}),
    # REST API
    "org-list": Payload(
        body=lambda s, t: {
            "code": "MATRIX-API",
            "name": "矩阵接口组织",
            "parent_code": t.parent.code,
            "org_type": "党支部",
            "category": "机关-政府组成部门",
        },
        targets=True,
    ),
    "org-detail": Payload(
        body=lambda s, t: {
            "code": s.org.code,
            "name": "矩阵接口改名",
            "org_type": "党支部",
            "category": "机关-政府组成部门",
        }
    ),
    "org-move": Payload(body=lambda s, t: {"parent_code": t.county.code}, targets=True),
    "org-dissolve": Payload(body=lambda s, t: {"on": DAY, "reason": "矩阵撤销"}),
    "member-list": Payload(
        body=lambda s, t: {**_member_fields(3), "organization_code": t.org.code}, targets=True
    ),
    "member-detail": Payload(body=lambda s, t: _member_fields(4)),
    "member-transfer": Payload(
        body=lambda s, t: {"organization_code": t.branch2.code, "on": DAY}, targets=True
    ),
    "meeting-list": Payload(
        body=lambda s, t: {
            "organization_code": t.org.code,
            "activity_type": "主题党日",
            "held_on": DAY,
            "topic": "矩阵接口主题",
            "attendance": [{"member_id": t.member.pk, "status": "present"}],
        },
        targets=True,
    ),
    "dues-list": Payload(
        body=lambda s, t: {"member_id": t.member.pk, "month": MONTH, "due": "30", "paid": "30"},
        targets=True,
    ),
    **{
        name: Payload(query=lambda s, t: {"year": TODAY.year})
        for name in ("compliance-rule-list", "compliance-result-list", "compliance-subtree-list")
    },
    "compliance-rule-detail": Payload(body=lambda s, t: {"min_count": 1}),
    "assessment-record-list": Payload(
        body=lambda s, t: {"organization_code": t.org.code, "year": YEAR, "party_score": "82"},
        targets=True,
    ),
    "assessment-record-detail": Payload(body=lambda s, t: {"party_score": "83"}),
    "scheme-item-score-list": Payload(
        body=lambda s, t: {
            "item": s.scheme_item.pk,
            "organization_code": t.org.code,
            "source": Source.SPOT,
            "score": "5",
        },
        targets=True,
    ),
    "scheme-rating-list": Payload(
        body=lambda s, t: {
            "scheme": s.scheme.pk,
            "organization_code": t.org.code,
            "group": RaterKind.SUPERIOR,
            "rater": "矩阵评议人",
            "score": "90",
        },
        targets=True,
    ),
    "rectification-open": Payload(body=lambda s, t: {"year": RECT_YEAR}),
    "rectification-plan": Payload(body=lambda s, t: {"plan": "矩阵整顿方案"}),
    "rectification-problems": Payload(
        body=lambda s, t: {"problem": "矩阵问题", "countermeasure": "矩阵对策"}
    ),
    "rectification-leaders": Payload(
        body=lambda s, t: {"kind": LeaderKind.COUNTY_LEADER, "name": "矩阵领导"}
    ),
    "rectification-progress": Payload(
        body=lambda s, t: {"happened_on": DAY, "content": "矩阵进展"}
    ),
    "rectification-transform": Payload(
        body=lambda s, t: {"acceptance_opinion": "矩阵验收", "acceptor": "矩阵验收人"}
    ),
    "rectification-consolidate": Payload(body=lambda s, t: {"consolidation_note": "矩阵巩固"}),
    # C8 群众评议
    "rating:target_new": Payload(
        body=lambda s, t: {"org_code": t.org.code, "name": "矩阵新窗口", "kind": "window"},
        targets=True,
    ),
    "rating:target_edit": Payload(
        body=lambda s, t: {"org_code": s.org.code, "name": "矩阵改名窗口", "kind": "window"}
    ),
    "rating:feed": Payload(body=lambda s, t: {"year": TODAY.year}),
    "rating:case_assign": Payload(body=lambda s, t: {"department": t.org.code}, targets=True),
    "rating:case_track": Payload(body=lambda s, t: {"note": "矩阵跟踪"}),
    "rating:case_reply": Payload(body=lambda s, t: {"reply": "矩阵答复"}),
    "reports:generate": Payload(
        body=lambda s, t: {"kind": "yearly", "period": str(YEAR)}, targets=True
    ),
    "rating-target-list": Payload(
        body=lambda s, t: {
            "organization_code": t.org.code,
            "name": "矩阵接口窗口",
            "kind": "window",
        },
        targets=True,
    ),
    "rating-target-detail": Payload(
        body=lambda s, t: {"organization_code": s.org.code, "name": "矩阵改名", "kind": "window"}
    ),
    "rating-case-assign": Payload(body=lambda s, t: {"department_code": t.org.code}, targets=True),
    "rating-case-track": Payload(body=lambda s, t: {"note": "矩阵跟踪"}),
    "rating-case-reply": Payload(body=lambda s, t: {"reply": "矩阵答复"}),
}

# Other views of the same route, chosen by a query parameter (a calendar, a tab, an Excel
# export): each is read by every role on both sides as well.
QUERY_VARIANTS: dict[str, tuple[dict, ...]] = {
    "orgs:tree": ({"q": "党支部"},),  # both counties' branches match: only A's may show
    "audit": ({"since": "2000-01-01", "type": "组织"}, {"who": "系统"}),
    "orgs:options": ({"q": "党支部", "branches": "1"},),
    "ledger:meetings": ({"view": "calendar"},),
    "compliance:reminders": ({"tab": "weekly"}, {"tab": "monthly"}, {"format": "xlsx"}),
    "compliance:warnings": ({"format": "xlsx"},),
    "schemes:orgs": ({"format": "xlsx"},),
    "schemes:explain": ({"format": "xlsx"},),
    "rating:satisfaction": ({"format": "xlsx"},),
    "rating:targets": ({"inactive": "1"},),
    "rating:ratings": ({"format": "xlsx"}, {"score": "1", "comment": "1"}),
    "rating:cases": ({"format": "xlsx"}, {"overdue": "1"}),
    "reports:archive": ({"sub": "1"}, {"kind": "yearly"}),
}

# --- the world --------------------------------------------------------------------------------


@dataclass
class World:
    """Both counties' objects by side, the jurisdiction's shared configuration, one user and
    one signed-in session per role, and the fingerprints taken right after building."""

    sides: dict[str, SimpleNamespace]
    users: dict[str, User]
    sessions: dict[str, str] = field(default_factory=dict)
    outside_path: str = ""
    outside_print: str = ""
    full_print: str = ""
    audit_count: int = 0
    files: list = field(default_factory=list)

    def side(self, name: str) -> SimpleNamespace:
        return self.sides[name]

    def client(self, role: str) -> Client:
        """A fresh client (no cookies left by another test) on the role's session."""
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[role]
        return client


def _county(root, prefix: str, code: str) -> SimpleNamespace:
    """A county with a working committee over two branches, and every kind of object in the
    first branch (X1). Names start with `prefix`, codes with `code`."""
    county = make_org(root, "党委", "县(市区)", code=f"{code}", name=f"{prefix}县委员会")
    parent = make_org(county, "党工委", "机关", code=f"{code}-C", name=f"{prefix}机关工委")
    org = make_org(
        parent,
        "党支部",
        "机关-政府组成部门",
        code=f"{code}-1",
        name=f"{prefix}财政局党支部",
        staff_count=50,
        party_staff_count=1,
    )
    branch2 = make_org(
        parent, "党支部", "机关-党群部门", code=f"{code}-2", name=f"{prefix}组织部党支部"
    )
    members = [
        member_services.add_member(
            None, MemberDataFactory(name=f"{prefix}党员{i}", posts=("书记",) if i == 0 else ()), org
        )
        for i in range(3)
    ]
    member_services.add_member(None, MemberDataFactory(name=f"{prefix}党员9"), branch2)
    meeting = ledger_services.record_meeting(
        None,
        org,
        ledger_services.MeetingInput("主题党日", TODAY, f"{prefix}主题党日"),
        [ledger_services.RollCallEntry(m.pk, "present") for m in members],
        [SimpleUploadedFile(f"{prefix}会议记录.png", PNG, content_type="image/png")],
    )
    ledger_services.save_month_dues(
        None,
        org,
        Month.of(TODAY),
        [ledger_services.DuesEntry(m.pk, 2000, 2000) for m in members],
    )
    exemption = exemptions.add_exemption(None, org, "", MONTH, MONTH, f"{prefix}豁免原因")
    for branch, score in ((org, "90"), (branch2, "70")):
        save_record(None, branch, YEAR, RecordInput(score, "80", "", 0))
    notices = [
        Notice.objects.create(
            organization=o,
            kind=NoticeKind.DAILY,
            title=f"{prefix}提醒",
            body=f"{prefix}通知",
            created_at=timezone.now(),
        )
        for o in (county, org)
    ]
    run = ImportRun.objects.create(
        scope_path=county.path,
        filename=f"{prefix}导入.xlsx",
        status=ImportRun.Status.REJECTED,
        issues=[["党员", 2, "姓名", f"{prefix}党员名单有误"]],
    )
    rated_target, rating, case = _rated(org, prefix)
    return SimpleNamespace(
        county=county,
        parent=parent,
        org=org,
        branch2=branch2,
        member=members[1],
        meeting=meeting,
        attachment=meeting.attachments.get(),
        dues=DuesPayment.objects.filter(member=members[1]).get(),
        exemption=exemption,
        import_run=run,
        notices=notices,
        rated_target=rated_target,
        rating=rating,
        case=case,
    )


def _rated(org, prefix: str, address: str = "10.8.0.1"):
    """A rated window of `org` with a good rating and a complaint (a case with a phone)."""
    target = rating_services.create_target(
        None, rating_services.TargetInput(org, f"{prefix}办事窗口", "window", f"{prefix}大厅")
    )

    def rate(score, comment="", phone="", device=""):
        body = rating_intake.clean_body(
            {
                "target": target.code,
                "score": score,
                "comment": comment,
                "phone": phone,
                "device": device or f"{target.code}-{score}",
            }
        )
        return rating_intake.submit_rating(body, address)

    rate(5)
    complaint = rate(1, f"{prefix}群众诉求", "13812345678")
    case = RatingCase.objects.select_related("rating").get(tracking_code=complaint.tracking_code)
    return target, case.rating, case


def _scores(scheme, side: SimpleNamespace, prefix: str) -> None:
    """A year-end score, a rater's satisfaction score and a self-check score of X1."""
    item = side.scheme_item
    scheme_services.enter_scores(
        None,
        scheme,
        side.org,
        Source.YEAR_END,
        [scheme_services.ScoreEntry(item.pk, "12", f"{prefix}评分说明")],
    )
    scheme_services.enter_scores(
        None, scheme, side.org, Source.SELF, [scheme_services.ScoreEntry(item.pk, "15")]
    )
    scheme_services.enter_ratings(
        None,
        scheme,
        side.org,
        RaterKind.SUPERIOR,
        [scheme_services.RatingEntry(f"{prefix}评议人", "90")],
    )
    side.item_score = ItemScore.objects.get(organization=side.org, source=Source.YEAR_END)
    side.rater_score = RaterScore.objects.get(organization=side.org)


def _rectification(side: SimpleNamespace, prefix: str) -> None:
    rect = side.rectification
    rect_services.update_plan(None, rect, f"{prefix}整顿方案")
    side.problem = rect_services.add_problem(
        None, rect, rect_services.ProblemInput(f"{prefix}班子软弱", "调整班子")
    )
    side.leader = rect_services.assign_leader(
        None, rect, LeaderKind.COUNTY_LEADER, f"{prefix}县长", "副县长"
    )
    side.progress = rect_services.add_progress(None, rect, TODAY, f"{prefix}整顿进展")


def build_world() -> World:
    """Build both counties, the shared configuration, evaluations, and the users."""
    root = make_org(None, "党委", "县(市区)", code="MATRIX-ROOT", name="矩阵市委员会")
    inside = _county(root, INSIDE_PREFIX, "JX")
    outside = _county(root, OUTSIDE_MARKER, "YX")
    sides = {"inside": inside, "outside": outside}

    scheme = make_scheme(year=YEAR, name="矩阵考核方案")
    compliance_rules.customize_year(None, TODAY.year)
    shared = {
        "scheme": scheme.scheme,
        "scheme_item": scheme.items["team"],
        "compliance_rule": compliance_rules.rules_queryset(TODAY.year).order_by("pk").first(),
        "category": Category.objects.get(name="其他"),
    }
    for side in sides.values():
        side.__dict__.update(shared)
    for side, prefix in ((inside, INSIDE_PREFIX), (outside, OUTSIDE_MARKER)):
        _scores(scheme.scheme, side, prefix)

    evaluate_year(TODAY.year)
    evaluate_assessment(YEAR)
    flag([inside.org, outside.org], RECT_YEAR)
    for side, prefix in ((inside, INSIDE_PREFIX), (outside, OUTSIDE_MARKER)):
        side.record = AssessmentRecord.objects.get(organization=side.org, year=YEAR)
        side.result = AssessmentResult.objects.get(organization=side.org, year=YEAR)
        side.rectification = opened(side.org, RECT_YEAR)
        _rectification(side, prefix)
        side.bulletin = generate_bulletin(
            None, BulletinKind.YEARLY, side.org, year_period(YEAR), trigger=BulletinTrigger.COMMAND
        )

    missing = SimpleNamespace(**{k: MISSING for k in inside.__dict__})
    missing.__dict__.update(shared)
    sides["missing"] = missing

    users = {}
    for role in Role:
        scope = inside.org if role in BRANCH_ROLES else inside.county
        users[role] = User.objects.create_user(
            username=f"matrix-{role}", password=PASSWORD, role=role, scope=scope
        )
    users[NO_SCOPE] = User.objects.create_user(
        username=f"matrix-{NO_SCOPE}", password=PASSWORD, role=Role.MEMBER
    )
    world = World(sides=sides, users=users)
    for role, user in users.items():
        client = Client()
        sign_in(client, user)
        world.sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    refresh_rollups()
    world.files = [inside.attachment.file.name, outside.attachment.file.name]
    world.outside_path = outside.county.path
    world.outside_print = fingerprint(world.outside_path)
    world.full_print = fingerprint(None)
    world.audit_count = AuditEntry.objects.count()
    return world


def grow_outside(world: World) -> None:
    """More of everything in county B (a new branch with a member, a record, a result and a
    rectification; another meeting, month of dues, exemption, score, notice, import run):
    nothing a county A user sees may change."""
    outside = world.side("outside")
    branch = make_org(
        outside.parent, "党支部", "机关-政府组成部门", code="YX-3", name=f"{OUTSIDE_MARKER}新支部"
    )
    member = member_services.add_member(
        None, MemberDataFactory(name=f"{OUTSIDE_MARKER}新党员"), branch
    )
    ledger_services.record_meeting(
        None,
        branch,
        ledger_services.MeetingInput("支部委员会", TODAY, f"{OUTSIDE_MARKER}新会议"),
        [ledger_services.RollCallEntry(member.pk, "present")],
    )
    ledger_services.save_month_dues(
        None, branch, Month.of(TODAY), [ledger_services.DuesEntry(member.pk, 1000, 500)]
    )
    exemptions.add_exemption(None, branch, "", MONTH, MONTH, f"{OUTSIDE_MARKER}新豁免")
    save_record(None, branch, YEAR, RecordInput("60", "60", "差", 1))
    scheme_services.enter_scores(
        None,
        outside.scheme,
        branch,
        Source.YEAR_END,
        [scheme_services.ScoreEntry(outside.scheme_item.pk, "3")],
    )
    flag([branch], RECT_YEAR)
    flag([branch], YEAR)
    opened(branch, RECT_YEAR)
    Notice.objects.create(
        organization=outside.county,
        kind=NoticeKind.WEEKLY,
        title=f"{OUTSIDE_MARKER}通报",
        body="通报",
        created_at=timezone.now(),
    )
    ImportRun.objects.create(
        scope_path=outside.county.path,
        filename=f"{OUTSIDE_MARKER}新导入.xlsx",
        status=ImportRun.Status.SUCCEEDED,
        rows=5,
    )
    _rated(branch, OUTSIDE_MARKER, address="10.8.0.2")
    refresh_rollups()


def refresh_rollups() -> None:
    """Bring the rating and dashboard rollups up to date (the factories write results
    directly, without the engines' signal): a later refresh by a request changes nothing. As
    the engines' signal does, this leaves the time of the last full refresh alone."""
    rating_rollups.refresh_all()
    dashboard_rollups.refresh_results()
    dashboard_rollups.refresh_open_items()


# --- fingerprints -----------------------------------------------------------------------------


def rows_written() -> int:
    """How many rows this connection has inserted, updated or deleted so far (COPY included):
    when a request leaves it unchanged, it wrote nothing and needs no fingerprint."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)"
                " FROM pg_stat_xact_user_tables"
            )
        else:
            cursor.execute("SELECT total_changes()")
        return int(cursor.fetchone()[0])


# Columns that change on every write without changing what a row says.
_VOLATILE = (models.AutoField, models.BigAutoField, models.DateTimeField)
_PATH_FIELDS = {AuditEntry: "org_path", ImportRun: "scope_path"}


def _org_lookups(model, depth: int = 3) -> list[str]:
    """Lookups from `model` to an organization's path, through at most `depth` foreign keys
    (an organization itself, a member's branch, an attendance's meeting's branch…)."""
    if model is Organization:
        return ["path"]
    if model in _PATH_FIELDS:
        return [_PATH_FIELDS[model]]
    if depth == 0:
        return []
    found = []
    for f in model._meta.concrete_fields:
        if f.is_relation and f.many_to_one and f.related_model is not model:
            found += [f"{f.name}__{rest}" for rest in _org_lookups(f.related_model, depth - 1)]
    return found


def _project_models():
    """The project's own models (users and the audit log included; sessions are Django's)."""
    return [m for m in apps.get_models() if m.__module__.startswith("dangjian.")]


@functools.cache
def _row_queries(path: str | None) -> tuple[tuple[str, str, tuple], ...]:
    """(model label, SQL, parameters) reading what each row says, compiled once per path."""
    queries = []
    for model in sorted(_project_models(), key=lambda m: m._meta.label):
        rows = model._default_manager.all()
        if path is not None:
            lookups = _org_lookups(model)
            if not lookups:
                continue  # configuration of the whole jurisdiction
            where = models.Q()
            for lookup in lookups:
                where |= models.Q(**{f"{lookup}__startswith": path})
            rows = rows.filter(where)
        names = [f.attname for f in model._meta.concrete_fields if not isinstance(f, _VOLATILE)]
        sql, params = rows.values_list(*names).order_by().query.sql_with_params()
        queries.append((model._meta.label, sql, params))
    return tuple(queries)


def fingerprint(path: str | None) -> str:
    """A digest of what the rows say (ids and timestamps left out, so a recomputation that
    rewrites the same results is no change): of every row under organization path `path`,
    or of every row of the project when `path` is None."""
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for label, sql, params in _row_queries(path):
            cursor.execute(sql, params)
            values = sorted(repr(row) for row in cursor.fetchall())
            digest.update(f"{label}:{len(values)}:".encode())
            digest.update("\n".join(values).encode())
    return digest.hexdigest()
