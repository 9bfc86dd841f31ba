"""System checks that fail `manage.py check` (and startup of `serve`) on unusable keys or
a retention below the legal minimum, and deploy checks of the security headers."""

from django.conf import settings
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


@checks.register(checks.Tags.security)
def check_audit_retention(app_configs, **kwargs):
    """The audit log is kept at least six months (SPEC §8, 等级保护)."""
    from dangjian.accounts.audit import MIN_RETENTION_MONTHS

    if settings.AUDIT_RETENTION_MONTHS < MIN_RETENTION_MONTHS:
        return [
            checks.Error(
                f"DANGJIAN_AUDIT_RETENTION_MONTHS 不能少于 {MIN_RETENTION_MONTHS}（个月）",
                id="dangjian.E002",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def check_content_security_policy(app_configs, **kwargs):
    """Deployed pages carry a Content-Security-Policy that allows no inline script."""
    middleware = "dangjian.core.middleware.SecurityHeadersMiddleware"
    scripts = settings.CONTENT_SECURITY_POLICY.get(
        "script-src", settings.CONTENT_SECURITY_POLICY.get("default-src", "")
    )
    if middleware not in settings.MIDDLEWARE or "'unsafe-inline'" in scripts or not scripts:
        return [
            checks.Warning(
                "页面缺少不允许内联脚本的 Content-Security-Policy",
                hint=f"启用 {middleware}，script-src 不含 'unsafe-inline'",
                id="dangjian.W001",
            )
        ]
    return []


@checks.register(deploy=True)
def check_pdf_fonts(app_configs, **kwargs):
    """Posters and bulletins are drawn with the Noto CJK fonts (fonts-noto-cjk), and quickly only
    with HarfBuzz's subsetter (libharfbuzz-subset0)."""
    from dangjian.core.pdf import (
        INSTALL_HINT,
        SUBSET_HINT,
        cjk_fonts_installed,
        harfbuzz_subset_installed,
    )

    found = []
    if not cjk_fonts_installed():
        found.append(checks.Warning(INSTALL_HINT, id="dangjian.W002"))
    if not harfbuzz_subset_installed():
        found.append(checks.Warning(SUBSET_HINT, id="dangjian.W003"))
    return found
