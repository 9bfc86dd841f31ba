"""WSGI entry point used by `manage.py serve`. POST /api/public/ratings, the public rating
endpoint (SPEC §5b), takes a short way in to its view (dangjian/rating/fastpath.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from dangjian.rating.fastpath import PublicRatingFastPath  # noqa: E402  (needs Django set up)

application = PublicRatingFastPath(application)
