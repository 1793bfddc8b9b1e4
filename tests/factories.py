"""factory_boy factories shared by every test module."""

import factory
from django.contrib.auth import get_user_model

from apps.accounts.models import AgentProfile, Team
from apps.cases.models import Case, Channel, Interaction
from apps.contacts.models import Contact, ContactIdentity, Organization


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@cxdesk.test")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Agent{n}")
    password = factory.django.Password("pw-for-tests-only")

    @factory.post_generation
    def teams(self, create, extracted, **kwargs):
        if create and extracted:
            for team in extracted:
                team.members.add(self)


class AgentFactory(UserFactory):
    profile = factory.RelatedFactory(
        "tests.factories.AgentProfileFactory",
        factory_related_name="user",
        role=AgentProfile.Role.AGENT,
    )


class SupervisorFactory(UserFactory):
    profile = factory.RelatedFactory(
        "tests.factories.AgentProfileFactory",
        factory_related_name="user",
        role=AgentProfile.Role.SUPERVISOR,
    )


class AdminFactory(UserFactory):
    is_staff = True
    is_superuser = True
    profile = factory.RelatedFactory(
        "tests.factories.AgentProfileFactory",
        factory_related_name="user",
        role=AgentProfile.Role.ADMIN,
    )


class StakeholderFactory(UserFactory):
    """One of an owner team's people (apps/accounts/confinement.py)."""

    profile = factory.RelatedFactory(
        "tests.factories.AgentProfileFactory",
        factory_related_name="user",
        role=AgentProfile.Role.STAKEHOLDER,
    )


class AgentProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentProfile

    user = factory.SubFactory(UserFactory)
    role = AgentProfile.Role.AGENT


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Org {n}")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    name = factory.Faker("name")


class EmailIdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactIdentity

    contact = factory.SubFactory(ContactFactory)
    kind = ContactIdentity.Kind.EMAIL
    value = factory.Sequence(lambda n: f"customer{n}@example.com")


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    subject = factory.Faker("sentence", nb_words=6)
    channel = Channel.EMAIL
    requester = factory.SubFactory(ContactFactory)
    status = Case.Status.NEW
    priority = Case.Priority.NORMAL


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    case = factory.SubFactory(CaseFactory)
    channel = Channel.EMAIL
    direction = Interaction.Direction.INBOUND
    author_contact = factory.SelfAttribute("case.requester")
    body_text = factory.Faker("paragraph")


class BusinessCalendarFactory(factory.django.DjangoModelFactory):
    """Mon–Fri 09:00–17:00, Europe/London, no holidays (the model's default week)."""

    class Meta:
        model = "sla.BusinessCalendar"

    name = factory.Sequence(lambda n: f"Calendar {n}")
    timezone = "Europe/London"


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    """A policy matching every case; `targets={("high", "first_response"): 240, …}` adds
    business-time targets (a value (minutes, False) counts calendar time)."""

    class Meta:
        model = "sla.SlaPolicy"
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Policy {n}")
    position = factory.Sequence(lambda n: n + 1)
    calendar = factory.SubFactory(BusinessCalendarFactory)

    @factory.post_generation
    def targets(self, create, extracted, **kwargs):
        from apps.sla.models import SlaTarget

        for (priority, metric), value in (extracted or {}).items():
            minutes, business = value if isinstance(value, tuple) else (value, True)
            SlaTarget.objects.create(
                policy=self,
                priority=priority,
                metric=metric,
                minutes=minutes,
                business_hours=business,
            )
