"""API v1: router, token endpoint, OpenAPI schema and the interactive docs (served locally)."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from sibao.api import views
from sibao.enterprises.api import EnterpriseViewSet, SupplyLinkViewSet
from sibao.prevention.api import routes as prevention_routes
from sibao.whitelist import api as whitelist

router = DefaultRouter()
router.register("enterprises", EnterpriseViewSet, basename="enterprise")
router.register("supply-links", SupplyLinkViewSet, basename="supply-link")
router.register("whitelist/entries", whitelist.EntryViewSet, basename="whitelist-entry")
router.register("whitelist/applications", whitelist.ApplicationViewSet, basename="whitelist-application")
router.register("whitelist/criteria-sets", whitelist.CriteriaSetViewSet, basename="whitelist-criteria-set")
router.register("whitelist/spot-checks", whitelist.SpotCheckViewSet, basename="whitelist-spot-check")
router.register("whitelist/breaker-cases", whitelist.BreakerCaseViewSet, basename="whitelist-breaker-case")
router.register("whitelist/joint-decisions", whitelist.JointDecisionViewSet, basename="whitelist-joint-decision")
router.register("whitelist/coverage", whitelist.CoverageViewSet, basename="whitelist-coverage")
router.register("whitelist/closing-the-gap", whitelist.ClosingTheGapViewSet, basename="whitelist-closing-the-gap")
for prefix, viewset, basename in prevention_routes():
    router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
    # Last: any other path under the API answers 404 in the API's error shape.
    re_path(r"^.*$", views.not_found, name="api-not-found"),
]
