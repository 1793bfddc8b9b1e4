import factory

from apps.chat.models import ChatWidget


class ChatWidgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChatWidget

    name = factory.Sequence(lambda n: f"Shop {n}")
    allowed_origins = factory.LazyFunction(lambda: ["https://shop.example.com"])
    is_active = True
