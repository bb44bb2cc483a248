"""The SSRF guard's answers for dual-stack and IPv4-embedding names (``public_hosts``)."""

from __future__ import annotations

import socket

import pytest

from service.core import public_hosts


def _resolving(monkeypatch, *addresses: str) -> list[dict]:
    calls: list[dict] = []

    def getaddrinfo(host, port, *args, **kw):
        calls.append(kw)
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 0))
            for a in addresses
        ]

    monkeypatch.setattr(public_hosts.socket, "getaddrinfo", getaddrinfo)
    return calls


def test_the_resolvers_order_is_kept_and_every_address_returned(monkeypatch):
    # RFC 6724 order from the resolver (here IPv4 first, as on a host without IPv6 routes);
    # sorting as strings put "2606:..." before "93.184..." and only that one was tried
    calls = _resolving(monkeypatch, "93.184.216.34", "2606:2800:220:1::248", "93.184.216.35")
    assert public_hosts.public_addresses("hooks.example") == [
        "93.184.216.34",
        "2606:2800:220:1::248",
        "93.184.216.35",
    ]
    assert calls[0].get("flags", 0) & socket.AI_ADDRCONFIG  # no IPv6 answers without IPv6


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::7f00:1",  # NAT64 (RFC 6052) of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (cloud metadata)
        "2002:a00:5::1",  # 6to4 (RFC 3056) of 10.0.0.5
        "::c0a8:101",  # IPv4-compatible ::192.168.1.1
        "::ffff:127.0.0.1",  # IPv4-mapped
    ],
)
def test_an_ipv6_address_carrying_an_internal_ipv4_address_is_refused(monkeypatch, address):
    _resolving(monkeypatch, "93.184.216.34", address)
    assert public_hosts.public_addresses("hooks.example") is None


@pytest.mark.parametrize("address", ["64:ff9b::808:808", "2002:808:808::1"])
def test_an_ipv6_address_carrying_a_public_ipv4_address_is_allowed(monkeypatch, address):
    _resolving(monkeypatch, address)
    assert public_hosts.public_addresses("hooks.example") == [address]


def test_a_slow_lookup_ends_at_its_timeout(monkeypatch):
    import time

    def slow(*args, **kw):
        time.sleep(3)
        return []

    monkeypatch.setattr(public_hosts.socket, "getaddrinfo", slow)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        public_hosts.public_addresses("slow.example", timeout=0.3)
    assert time.monotonic() - started < 1.5
