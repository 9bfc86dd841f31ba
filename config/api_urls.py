"""REST API routes (SPEC §4); every viewset is scoped to the signed-in user's subtree."""

from rest_framework.routers import DefaultRouter

from dangjian.members.api.views import MemberViewSet
from dangjian.orgs.api.views import OrganizationViewSet

router = DefaultRouter()
router.register("orgs", OrganizationViewSet, basename="org")
router.register("members", MemberViewSet, basename="member")

urlpatterns = router.urls
