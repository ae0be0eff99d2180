"""X-Forwarded-For is believed only through the trusted proxy hops."""

from __future__ import annotations

from typing import Any

from django.test import RequestFactory

from core.client import client_address


def request(remote: str, forwarded: str | None = None) -> Any:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_hops_the_header_is_ignored(settings: Any):
    settings.TRUSTED_PROXY_HOPS = 0
    assert client_address(request("198.51.100.9", "203.0.113.1")) == "198.51.100.9"


def test_through_one_proxy_the_address_it_wrote_is_used(settings: Any):
    settings.TRUSTED_PROXY_HOPS = 1
    assert client_address(request("127.0.0.1", "203.0.113.1")) == "203.0.113.1"


def test_entries_the_client_wrote_itself_are_ignored(settings: Any):
    settings.TRUSTED_PROXY_HOPS = 1
    # The client sent "X-Forwarded-For: 10.0.0.1"; the proxy appended the real address.
    assert client_address(request("127.0.0.1", "10.0.0.1, 203.0.113.1")) == "203.0.113.1"


def test_through_two_proxies_the_second_entry_from_the_right_is_used(settings: Any):
    settings.TRUSTED_PROXY_HOPS = 2
    chain = "10.0.0.1, 203.0.113.1, 192.0.2.10"  # spoofed, client, first proxy
    assert client_address(request("127.0.0.1", chain)) == "203.0.113.1"


def test_garbage_in_the_header_falls_back_to_the_connecting_address(settings: Any):
    settings.TRUSTED_PROXY_HOPS = 1
    assert client_address(request("127.0.0.1", "not-an-address")) == "127.0.0.1"
