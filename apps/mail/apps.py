from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "apps.mail"
    label = "mail"

    def ready(self):
        from anymail.signals import inbound

        from . import services

        inbound.connect(services.anymail_inbound_received, dispatch_uid="cxdesk.mail.inbound")
