"""Server-side request forgery guard: may the service open a connection to this host?

Used wherever the service fetches or posts to a URL that someone else chose (foreign issuers'
keys and status lists during verification, webhook targets). A host qualifies only when every
address it resolves to is globally routable (``ipaddress.is_global``: no loopback, private,
link-local, shared, reserved or documentation ranges), so a name that resolves to an internal
address as well is refused. An IPv6 address that carries an IPv4 address (IPv4-mapped
``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, 6to4 ``2002::/16`` (RFC 3056), the NAT64
well-known prefix ``64:ff9b::/96`` (RFC 6052)) is judged by that IPv4 address, since that is
where a translator or tunnel takes the connection.
"""

from __future__ import annotations

import ipaddress
import socket
import threading

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (address in _COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(text: str) -> bool:
    """Is this one address globally routable, judged by its embedded IPv4 address if any?"""
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None:
            return inner.is_global
    return address.is_global


def _resolve(host: str, timeout: float | None) -> list:
    def lookup() -> list:
        # AI_ADDRCONFIG: only families this machine has an address of (no IPv6 answers on a
        # host without IPv6); the resolver's order (RFC 6724) is kept
        return socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP, flags=socket.AI_ADDRCONFIG)

    if timeout is None:
        return lookup()
    # getaddrinfo cannot be cancelled: wait for it at most ``timeout`` in a daemon thread
    found: dict = {}
    done = threading.Event()

    def run() -> None:
        try:
            found["infos"] = lookup()
        except BaseException as exc:  # handed to the caller below
            found["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name="resolve", daemon=True).start()
    if not done.wait(max(timeout, 0.0)):
        raise TimeoutError("name lookup took too long")
    if "error" in found:
        raise found["error"]
    return found["infos"]


def public_addresses(host: str, timeout: float | None = None) -> list[str] | None:
    """The addresses ``host`` resolves to, in the resolver's order, when all are public; None
    when it does not resolve or any is not. A caller that connects to these (rather than
    resolving the name again) cannot be turned to an internal address by a DNS answer that
    changes in between. With ``timeout`` a lookup that takes longer raises TimeoutError."""
    try:
        infos = _resolve(host, timeout)
    except TimeoutError:
        raise
    except (OSError, UnicodeError):
        return None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses or not all(is_public_address(a) for a in addresses):
        return None
    return addresses


def host_is_public(host: str) -> bool:
    """True when ``host`` resolves, and only to public addresses."""
    return public_addresses(host) is not None
