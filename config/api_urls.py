"""REST API routes (SPEC §4); every viewset is scoped to the signed-in user's subtree."""

from rest_framework.routers import DefaultRouter

from dangjian.assessment.api import routes as assessment_routes
from dangjian.compliance.api.views import (
    ComplianceResultViewSet,
    RuleViewSet,
    SubtreeRateViewSet,
)
from dangjian.ledger.api.views import DuesViewSet, MeetingViewSet
from dangjian.members.api.views import MemberViewSet
from dangjian.orgs.api.views import CategoryViewSet, OrganizationViewSet
from dangjian.rating.api import routes as rating_routes
from dangjian.rectification.api import routes as rectification_routes
from dangjian.schemes.api import routes as scheme_routes


class Router(DefaultRouter):
    """The API's router, without a ".json" twin of every route (the API speaks JSON only)."""

    include_format_suffixes = False


router = Router()
router.register("orgs", OrganizationViewSet, basename="org")
router.register("categories", CategoryViewSet, basename="category")
router.register("members", MemberViewSet, basename="member")
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("dues", DuesViewSet, basename="dues")
router.register("compliance/rules", RuleViewSet, basename="compliance-rule")
router.register("compliance/results", ComplianceResultViewSet, basename="compliance-result")
router.register("compliance/subtrees", SubtreeRateViewSet, basename="compliance-subtree")
for routes in (assessment_routes, scheme_routes, rectification_routes, rating_routes):
    routes.register(router)

urlpatterns = router.urls
