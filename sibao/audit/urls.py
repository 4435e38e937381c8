from django.urls import path

from sibao.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.EventListView.as_view(), name="list"),
]
