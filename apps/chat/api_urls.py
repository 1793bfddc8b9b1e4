from rest_framework.routers import SimpleRouter

from .api import ChatSessionViewSet

router = SimpleRouter(trailing_slash="/?")
router.register("chat/sessions", ChatSessionViewSet, basename="chat-session")

urlpatterns = router.urls
