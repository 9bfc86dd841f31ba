"""The notices inbox of the signed-in user's organization, and the unread badge."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dangjian.core.views import paginate
from dangjian.notices.models import Notice
from dangjian.notices.services import mark_read


@login_required
def inbox(request):
    notices = Notice.objects.for_user(request.user)
    page = paginate(request, notices, per_page=20)
    read = set(
        Notice.objects.filter(id__in=[n.pk for n in page], reads__user=request.user).values_list(
            "id", flat=True
        )
    )
    return render(
        request, "notices/inbox.html", {"nav": "notices", "page": page, "read": read, "query": ""}
    )


@require_POST
@login_required
def read_all(request):
    mark_read(
        request.user,
        list(Notice.objects.unread_by(request.user).values_list("id", flat=True)[:500]),
    )
    return redirect("notices:inbox")


@login_required
def badge(request):
    """The unread count, loaded by htmx after the page so pages stay one query lighter."""
    count = Notice.objects.unread_by(request.user).count()
    return render(request, "notices/_badge.html", {"count": count})
