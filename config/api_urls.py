"""REST API routes (SPEC §4); every viewset is scoped to the signed-in user's subtree."""

from rest_framework.routers import DefaultRouter

from dangjian.compliance.api.views import (
    ComplianceResultViewSet,
    RuleViewSet,
    SubtreeRateViewSet,
)
from dangjian.ledger.api.views import DuesViewSet, MeetingViewSet
from dangjian.members.api.views import MemberViewSet
from dangjian.orgs.api.views import OrganizationViewSet

router = DefaultRouter()
router.register("orgs", OrganizationViewSet, basename="org")
router.register("members", MemberViewSet, basename="member")
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("dues", DuesViewSet, basename="dues")
router.register("compliance/rules", RuleViewSet, basename="compliance-rule")
router.register("compliance/results", ComplianceResultViewSet, basename="compliance-result")
router.register("compliance/subtrees", SubtreeRateViewSet, basename="compliance-subtree")

urlpatterns = router.urls
