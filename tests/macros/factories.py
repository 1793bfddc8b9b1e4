import factory

from apps.macros.models import Macro


class MacroFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Macro

    title = factory.Sequence(lambda n: f"Macro {n}")
    body = (
        "Hello {contact.first_name},\n\nThanks for writing about {case.reference}.\n\n"
        "{agent.first_name}"
    )
    scope = Macro.Scope.SHARED
