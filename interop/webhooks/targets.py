"""Where a webhook may go: only to public addresses (no server-side request forgery).

A URL is checked when an admin configures it and again before every delivery: its host is resolved
and every address it resolves to must be public (not private, loopback, link-local, shared,
multicast or reserved). The delivery then connects to the address that was checked, never to the
name again, so a DNS answer that changes in between (rebinding) cannot redirect it. TLS still
verifies the certificate against the host name.

`WEBHOOK_ALLOWED_NETWORKS` lists networks allowed anyway (a receiver on the test machine); only
those may be reached over plain http.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(Exception):
    """The URL may not receive webhooks. `transient` is true when only the name lookup failed."""

    def __init__(self, reason: str, *, transient: bool = False) -> None:
        self.transient = transient
        super().__init__(reason)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line
    address: str  # the checked address the connection goes to


@cache
def _networks(spec: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(n, strict=False) for n in spec)


def allowed_networks():
    return _networks(tuple(getattr(settings, "WEBHOOK_ALLOWED_NETWORKS", ())))


def _unwrapped(address: Address) -> Address:
    # ::ffff:10.0.0.1 and friends are the IPv4 address they carry.
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
    return address


def is_allow_listed(address: Address) -> bool:
    return any(address in network for network in allowed_networks() if address.version == network.version)


def address_refusal(address: Address) -> str:
    """Why this address may not receive a webhook; empty if it may."""
    if is_allow_listed(address):
        return ""
    inner = _unwrapped(address)
    if inner.is_multicast or not inner.is_global:
        return f"{address} is a private, loopback, link-local or reserved address"
    return ""


def _resolve(host: str, port: int) -> list[Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise TargetRefused(f"The host {host} cannot be resolved ({exc}).", transient=True) from exc
    addresses: list[Address] = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise TargetRefused(f"The host {host} resolves to no address.", transient=True)
    return addresses


def resolve_target(url: str) -> Target:
    """Check a webhook URL and resolve it; raises TargetRefused with a sentence for the admin."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"This is not a valid URL ({exc}).") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise TargetRefused("The URL must start with https://.")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("The URL must not carry a user name or password; receivers verify the signature.")
    host = parts.hostname
    if not host:
        raise TargetRefused("The URL names no host.")
    port = port or (443 if scheme == "https" else 80)
    addresses = _resolve(host, port)
    for address in addresses:
        reason = address_refusal(address)
        if reason:
            raise TargetRefused(f"The host {host} resolves to {reason}; webhooks go to public addresses only.")
    if scheme == "http" and not all(is_allow_listed(a) for a in addresses):
        raise TargetRefused("The URL must start with https://: webhooks leave the clinic over TLS only.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=scheme, host=host, port=port, path=path, address=str(addresses[0]))


class NotConnected(Exception):
    """The connection to the receiver was not made: nothing left the clinic."""


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is verified against the host name, not the pinned address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(target: Target, *, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, str]:
    """POST to the checked address; returns (status, the start of the answer). Redirects are not
    followed. Raises NotConnected when nothing was sent, OSError when the exchange broke after."""
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target, timeout)
    try:
        try:
            connection.connect()
        except OSError as exc:
            raise NotConnected(str(exc)) from exc
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(500).decode("utf-8", "replace")
    finally:
        connection.close()
