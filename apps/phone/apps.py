from django.apps import AppConfig


class PhoneConfig(AppConfig):
    name = "apps.phone"
    label = "phone"
