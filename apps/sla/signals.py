"""A policy, target or calendar saved or deleted in this process: forget the cached policies
(other processes notice through services.policies_version())."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from . import services
from .models import BusinessCalendar, SlaPolicy, SlaTarget


def _forget(**kwargs: object) -> None:
    services.forget_policies()


for model in (SlaPolicy, SlaTarget, BusinessCalendar):
    post_save.connect(_forget, sender=model, dispatch_uid=f"sla-forget-{model.__name__}")
    post_delete.connect(_forget, sender=model, dispatch_uid=f"sla-forget-del-{model.__name__}")
for through in (SlaPolicy.match_teams.through, SlaPolicy.match_organizations.through):
    m2m_changed.connect(_forget, sender=through, dispatch_uid=f"sla-forget-{through.__name__}")
