"""API v1: router, token endpoint, OpenAPI schema and the interactive docs (served locally)."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from sibao.api import views
from sibao.enterprises.api import EnterpriseViewSet, SupplyLinkViewSet

router = DefaultRouter()
router.register("enterprises", EnterpriseViewSet, basename="enterprise")
router.register("supply-links", SupplyLinkViewSet, basename="supply-link")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
    # Last: any other path under the API answers 404 in the API's error shape.
    re_path(r"^.*$", views.not_found, name="api-not-found"),
]
