"""System checks that fail `manage.py check` (and startup of `serve`) on unusable keys."""

from django.core import checks

from dangjian.core import pii


@checks.register(checks.Tags.security)
def check_pii_key(app_configs, **kwargs):
    """The personal-information key must decode to 32 bytes."""
    try:
        pii.validate_key()
    except pii.PiiKeyError as exc:
        return [checks.Error(str(exc), id="dangjian.E001")]
    return []
