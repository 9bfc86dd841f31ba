"""Demo public rating (C8): targets at the root, for departments and for villages; months of
ratings with a realistic spread; cases in every state with their steps; rollups and the
assessment's 群众评 filled; once only; and the live endpoint carries on after it."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.demo.rating import install_demo_ratings
from dangjian.rating.choices import CaseState, StepKind, TargetKind
from dangjian.rating.models import Case, CaseStep, OrgMonth, RatedTarget, Rating
from dangjian.rating.tests.factories import rate

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 20)


def test_demo_ratings_cover_targets_and_every_case_state(tree):
    line = install_demo_ratings("county", 1, today=TODAY)
    assert line and "评议对象 3 个" in line
    kinds = dict(RatedTarget.objects.values_list("organization__code", "kind"))
    assert kinds == {"R": TargetKind.DEPARTMENT, "A1": TargetKind.WINDOW, "T1": TargetKind.STATION}
    names = set(RatedTarget.objects.values_list("name", flat=True))
    assert {"新村村便民服务站", "财政局服务窗口", "测试县政务服务中心综合窗口"} == names
    ratings = Rating.objects.count()
    assert ratings > 200
    scores = dict((s, Rating.objects.filter(score=s).count()) for s in (1, 2, 3, 4, 5))
    assert scores[5] > scores[3] > 0 and scores[1] + scores[2] > 0  # mostly satisfied
    months = set(Rating.objects.values_list("month", flat=True))
    assert dt.date(2026, 1, 1) in months and dt.date(2026, 6, 1) in months
    assert not Rating.objects.filter(created_at__date__gt=TODAY).exists()
    states = set(Case.objects.values_list("state", flat=True))
    assert states == set(CaseState.values)
    assert Case.objects.filter(escalation_level__gt=0).exists()
    for case in Case.objects.all()[:50]:
        steps = list(case.steps.values_list("kind", flat=True))
        assert steps[0] == StepKind.OPENED
        assert (StepKind.REPLIED in steps) == bool(case.reply)
    assert OrgMonth.objects.filter(organization=tree.root, subtree=True).count() == 6
    assert install_demo_ratings("county", 1, today=TODAY) is None  # once only
    assert CaseStep.objects.filter(case__isnull=True).count() == 0


def test_the_endpoint_carries_on_after_the_demo(tree):
    install_demo_ratings("county", 1, today=TODAY)
    top = Rating.objects.order_by("-id").values_list("id", flat=True).first()
    ack = rate(RatedTarget.objects.get(kind=TargetKind.WINDOW), 1, "新的诉求")
    assert ack.id > top and Case.objects.get(tracking_code=ack.tracking_code)


def test_demo_ratings_are_reproducible(tree):
    install_demo_ratings("county", 7, today=TODAY)
    first = list(Rating.objects.order_by("id").values_list("target__name", "score", "created_at"))
    codes = list(Case.objects.order_by("id").values_list("tracking_code", "state"))
    Case.objects.all().delete()
    Rating.objects.all().delete()
    OrgMonth.objects.all().delete()
    RatedTarget.objects.all().delete()
    install_demo_ratings("county", 7, today=TODAY)
    assert first == list(
        Rating.objects.order_by("id").values_list("target__name", "score", "created_at")
    )
    assert codes == list(Case.objects.order_by("id").values_list("tracking_code", "state"))
