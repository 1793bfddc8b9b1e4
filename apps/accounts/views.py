"""Signing in, changing and resetting one's password: Django's auth views, with our templates.

Sign-in is guarded by django-axes (settings: AXES_*): a locked-out account or address gets
registration/locked_out.html with status 429. A password reset by email never says whether an
address has an account (the same page follows every request), is throttled per client address
and per email (throttling.py), and — once the mailbox owner has set a new password — lifts the
account's sign-in lockout, since the lockout is what sent them to the reset in the first place.
"""

import logging

from axes.utils import reset as axes_reset
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse_lazy

from .throttling import PasswordResetAddressThrottle, PasswordResetEmailThrottle

log = logging.getLogger(__name__)


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    email_template_name = "registration/password_reset_email.txt"
    html_email_template_name = "registration/password_reset_email.html"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def post(self, request, *args, **kwargs):
        throttle = PasswordResetAddressThrottle()
        if not throttle.allows_request(request):
            log.warning("password reset requests over the limit from one address")
            wait = throttle.wait()
            response = render(
                request,
                "registration/password_reset_throttled.html",
                {"wait_minutes": max(1, round((wait or 60) / 60))},
                status=429,
            )
            response["Retry-After"] = str(int(wait or 60))
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        if not PasswordResetEmailThrottle().allows_email(form.cleaned_data["email"]):
            # Same answer as a sent email: the limit must not tell whether an account exists.
            log.warning("password reset requests over the limit for one email address")
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        axes_reset(username=form.user.get_username())
        return response
