"""Django's ModelBackend, loading the user's profile in the same query.

Every request of a signed-in user asks their role (apps/accounts/confinement.py refuses a
stakeholder the pages not theirs; the pages ask it for their own rules). Joined to the
session's user query, the profile costs no query of its own and is always current: a
role changed in the admin holds from the next request, not the next sign-in.
"""

from django.contrib.auth.backends import ModelBackend


class ProfileModelBackend(ModelBackend):
    def get_user(self, user_id):
        from django.contrib.auth import get_user_model

        User = get_user_model()
        try:
            user = User._default_manager.select_related("profile").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
