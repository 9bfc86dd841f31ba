"""Test settings: fixed throwaway keys, then the normal environment-driven settings."""

import os
import tempfile

os.environ.setdefault("DANGJIAN_SECRET_KEY", "test-secret-key-not-for-production-000000000000")
os.environ.setdefault("DANGJIAN_PII_KEY", "dGVzdC1waWkta2V5LW5vdC1mb3ItcHJvZHVjdGlvbiE=")
os.environ.setdefault("DANGJIAN_VAR_DIR", tempfile.mkdtemp(prefix="dangjian-test-"))

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast tests only
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
HUEY = {
    **HUEY_LOCAL_TIME,  # noqa: F405
    "huey_class": "huey.MemoryHuey",
    "name": "dangjian-test",
    "immediate": True,
}
DASHBOARD_CACHE_SECONDS = 0  # tests read what they just wrote; the cache has its own test
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  (WhiteNoise expects it)
