from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "sibao.api"
    label = "api"
