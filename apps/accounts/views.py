"""Signing in, changing and resetting one's password: Django's auth views, with our templates.

Sign-in is guarded by django-axes (settings: AXES_*): a locked-out account or address gets
registration/locked_out.html with status 429. A password reset by email never says whether an
address has an account (the same page follows every request), is throttled per client address
and per email (throttling.py), and — once the mailbox owner has set a new password — lifts the
account's sign-in lockout, since the lockout is what sent them to the reset in the first place.
"""

import logging

from axes.utils import reset as axes_reset
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods, require_POST

from . import confinement, services, timezones
from .forms import TimeZoneForm
from .throttling import PasswordResetAddressThrottle, PasswordResetEmailThrottle

log = logging.getLogger(__name__)


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        """Stakeholders land on their dashboard (the queue is not theirs)."""
        if confinement.is_stakeholder(self.request.user):
            return resolve_url(confinement.STAKEHOLDER_HOME)
        return super().get_default_redirect_url()


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


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def account_settings(request):
    """The agent's own settings: their time zone, and the way to their password change."""
    current = timezones.profile_time_zone(request.user)
    form = TimeZoneForm(request.POST or None, initial={"time_zone": current})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                zone = services.agent_set_time_zone(
                    user=request.user, time_zone=form.cleaned_data["time_zone"]
                )
            except services.InvalidTimeZone as exc:
                form.add_error("time_zone", exc.message)
            else:
                timezones.remember(request, zone)
                messages.success(
                    request, f"Times are now shown in {zone}." if zone else "Time zone cleared."
                )
                return redirect("account-settings")
        status = 400
    return render(
        request,
        "registration/account_settings.html",
        {
            "form": form,
            "current_zone": current,
            "weekly_report": services.agent_wants_weekly_report(request.user),
        },
        status=status,
    )


@login_required
@require_POST
def account_time_zone(request):
    """The browser reports its zone (static/cxdesk/time.js): kept only while the agent has
    chosen none. 204, or 400 with the reason for a name zoneinfo does not know."""
    try:
        zone = services.agent_set_time_zone(
            user=request.user, time_zone=request.POST.get("time_zone", ""), only_if_unset=True
        )
    except services.InvalidTimeZone as exc:
        return HttpResponseBadRequest(exc.message, content_type="text/plain; charset=utf-8")
    timezones.remember(request, zone)
    return HttpResponse(status=204)


@login_required
@require_POST
def account_weekly_report(request):
    """Turn the weekly report e-mail on or off (a checkbox: absent means off)."""
    on = request.POST.get("weekly_report") == "on"
    services.agent_set_weekly_report(user=request.user, on=on)
    messages.success(request, "Weekly report e-mails on." if on else "Weekly report e-mails off.")
    return redirect("account-settings")
