"""The client's network address used by the sign-in lockout."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from dangjian.core.netaddr import UNKNOWN, address_key, client_address


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),
        (" 192.0.2.7 ", "192.0.2.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),  # same subscriber, same key
        ("[2001:db8::1]", "2001:db8::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("", UNKNOWN),
        ("not-an-address", UNKNOWN),
        ("192.0.2.7\x00", UNKNOWN),
    ],
)
def test_address_key(raw, key):
    assert address_key(raw) == key


def test_without_proxies_the_forwarded_header_is_ignored():
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert client_address(request) == "192.0.2.7"


@override_settings(TRUSTED_PROXIES=1)
def test_behind_one_proxy_the_last_forwarded_address_is_the_client():
    # the client forged the first entry; the proxy appended the address it saw
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.20"
    )
    assert client_address(request) == "198.51.100.20"
    assert client_address(RequestFactory().get("/", REMOTE_ADDR="10.0.0.1")) == UNKNOWN
