"""The user model as a type, for annotations: `from apps.accounts.types import User`.

cxdesk runs on Django's own user model (settings set no AUTH_USER_MODEL). Code that needs the
class at run time keeps asking `get_user_model()`; signatures name `User` from here, so if the
model is ever swapped, this file is the one line that changes. It imports no cxdesk module:
any module may import it, at run time or under `TYPE_CHECKING`, without an import cycle.

`AnyUser` is what `request.user` holds: a user, or the anonymous one before authentication
(reads that test `user.is_authenticated` themselves take it).
"""

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as _DjangoUser

User: TypeAlias = _DjangoUser
AnyUser: TypeAlias = _DjangoUser | AnonymousUser

__all__ = ["AnyUser", "User"]
