"""SignInStepsMiddleware: a signed-in user who still owes a sign-in step (second factor,
forced password change; dangjian.accounts.second_factor) reaches nothing else.

Pages redirect to the step (keeping where the user was going); the API answers 403 with a
Chinese message. Views marked with `sign_in_step_exempt` (sign-in, sign-out, public pages) and
the view of the step itself stay reachable. Static files never get here (WhiteNoise serves
them first), and an unknown URL is a 404 before any view runs.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from dangjian.accounts.second_factor import STEP_MESSAGES, STEP_URL_NAMES, pending_step_for

API_PREFIX = "/api/"


def sign_in_step_exempt(view):
    """Mark a view as reachable before the sign-in steps are done (sign-in, sign-out, public
    endpoints without a session)."""
    view.sign_in_step_exempt = True
    return view


def sign_in_step_view(step: str):
    """Mark the view that performs `step`."""

    def mark(view):
        view.sign_in_step = step
        return view

    return mark


class SignInStepsMiddleware:
    """Holds back signed-in users with a pending step; runs after OTPMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "sign_in_step_exempt", False):
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        step = pending_step_for(user)
        if step is None or getattr(view_func, "sign_in_step", None) == step:
            return None
        if request.path.startswith(API_PREFIX):
            return JsonResponse({"detail": STEP_MESSAGES[step]}, status=403)
        url = reverse(STEP_URL_NAMES[step])
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(url)


TOUCHED_KEY = "_dangjian_touched"


class SlidingSessionMiddleware:
    """The idle timeout (SESSION_COOKIE_AGE) restarts with each request of a signed-in user,
    but the session is written at most once a minute (SESSION_TOUCH_SECONDS), not on every
    request: fewer writes, and a background request (the notice badge) that overlaps a sign-in
    no longer saves a session the sign-in has just replaced."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is None or session.modified or not (user and user.is_authenticated):
            return response
        now = int(time.time())
        if now - session.get(TOUCHED_KEY, now) >= settings.SESSION_TOUCH_SECONDS:
            session[TOUCHED_KEY] = now
        return response


def stamp_session(sender, request, user, **kwargs) -> None:
    """A sign-in writes the session anyway: its time is the first touch (`user_logged_in`)."""
    if getattr(request, "session", None) is not None:
        request.session[TOUCHED_KEY] = int(time.time())
