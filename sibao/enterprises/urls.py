from django.urls import path

from sibao.enterprises import views

app_name = "enterprises"
urlpatterns = [
    path("", views.EnterpriseListView.as_view(), name="list"),
    path("new/", views.enterprise_create, name="create"),
    path("import/", views.enterprise_import, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("export/", views.enterprise_export, name="export"),
    path("<int:pk>/", views.EnterpriseDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.enterprise_edit, name="edit"),
    path("<int:pk>/links/", views.supply_link_add, name="link_add"),
    path("<int:pk>/links/<int:link_pk>/delete/", views.supply_link_remove, name="link_remove"),
]
