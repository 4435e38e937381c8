from django.urls import path

from sibao.core import import_views

app_name = "imports"
urlpatterns = [
    path("<int:pk>/", import_views.import_report, name="report"),
    path("<int:pk>/errors.<str:fmt>", import_views.import_errors_file, name="errors"),
]
