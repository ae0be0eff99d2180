"""The address of the person making a request, as far as our own proxies vouch for it.

Behind a reverse proxy every request arrives from the proxy's address, so the client's address
is in X-Forwarded-For. Anyone can send that header, so it is read only through the number of
proxies the deployment says are ours (`TRUSTED_PROXY_HOPS`): each of them appends the address
it received the request from, so the client is that many entries from the right of the chain
(X-Forwarded-For entries, then the connecting address). Entries further left were written by
the client and are ignored. With no trusted hops the connecting address is the client.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def client_address(request: HttpRequest) -> str:
    """The client's IP address for rate limits, lockouts and the audit trail ("" if unknown)."""
    remote = (request.META.get("REMOTE_ADDR") or "").strip()
    hops = int(getattr(settings, "TRUSTED_PROXY_HOPS", 0) or 0)
    if hops <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in (request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",")
        if part.strip()
    ]
    chain = [*forwarded, remote] if remote else forwarded
    # Fewer entries than trusted hops: the request skipped a proxy; take the leftmost we have,
    # which one of our proxies wrote.
    candidate = chain[-(hops + 1)] if len(chain) > hops else (chain[0] if chain else "")
    return candidate if _valid(candidate) else remote
