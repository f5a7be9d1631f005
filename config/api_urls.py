"""The REST API under /api/. The schema and its documentation page are routed in config/urls.py."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from casework import api
from referrals import api as referrals_api

# No ".json" suffix routes: the API speaks only JSON, and a suffix reached actions that take no
# `format` argument (a 500).
router = DefaultRouter()
router.include_format_suffixes = False
router.register("agencies", api.AgencyViewSet, basename="agency")
router.register("teams", api.TeamViewSet, basename="team")
router.register("users", api.UserViewSet, basename="user")
router.register("children", api.ChildViewSet, basename="child")
router.register("referrals", referrals_api.ReferralViewSet, basename="referral")

urlpatterns = [
    path("me/", api.MeView.as_view(), name="api-me"),
    path("access-requests/", api.AccessRequestAskView.as_view(), name="api-access-request-ask"),
    path("", include("casework.cetr_api")),
    path("", include("casework.my_work_api")),
    *router.urls,
    path("", include("panels.api.urls")),
    path("", include("funding.api_urls")),
    path("", include("pathways.api.urls")),
    path("", include("reporting.api")),
]
