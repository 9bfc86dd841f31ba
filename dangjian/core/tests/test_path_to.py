from django.test import override_settings
from django.urls import reverse, set_script_prefix

from dangjian.core.paths import path_of
from dangjian.core.templatetags.dj import path_to


def test_path_to_equals_reverse_for_every_id():
    for name in ("members:detail", "orgs:detail", "orgs:children"):
        for pk in (1, 42, 9_876_543_210, 12_345_678_901):
            assert path_to(name, pk) == reverse(name, args=[pk])


@override_settings(FORCE_SCRIPT_NAME="/dangjian/")
def test_path_to_follows_the_script_prefix():
    set_script_prefix("/dangjian/")
    try:
        assert path_to("orgs:detail", 7) == reverse("orgs:detail", args=[7])
        assert path_to("orgs:detail", 7).startswith("/dangjian/")
        assert path_of("members:list") == "/dangjian/members/" == reverse("members:list")
    finally:
        set_script_prefix("/")


def test_path_of_equals_reverse_for_the_menu_links():
    for name in ("home", "members:list", "orgs:tree", "audit", "notices:badge", "logout"):
        assert path_of(name) == reverse(name)
