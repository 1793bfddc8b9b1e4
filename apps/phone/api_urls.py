from rest_framework.routers import SimpleRouter

from .api import CallViewSet

router = SimpleRouter(trailing_slash="/?")
router.register("calls", CallViewSet, basename="call")

urlpatterns = router.urls
