"""A real SMTP server for the tests (aiosmtpd), on a free port, collecting what it receives.

aiosmtpd imports `public` (the `atpublic` package), which our own app `public` shadows on the
path; it is imported once here with atpublic's module standing in for that name, then ours is
put back. Nothing else of aiosmtpd needs it after import.
"""

from __future__ import annotations

import email
import email.policy
import importlib.metadata
import importlib.util
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest


def _import_aiosmtpd() -> Any:
    ours = {name: module for name, module in sys.modules.items() if name.split(".")[0] == "public"}
    init = importlib.metadata.distribution("atpublic").locate_file("public/__init__.py")
    spec = importlib.util.spec_from_file_location(
        "public", str(init), submodule_search_locations=[str(init.parent)]
    )
    assert spec is not None and spec.loader is not None
    atpublic = importlib.util.module_from_spec(spec)
    try:
        for name in ours:
            del sys.modules[name]
        sys.modules["public"] = atpublic
        spec.loader.exec_module(atpublic)
        import aiosmtpd.controller
        import aiosmtpd.smtp

        return aiosmtpd.controller
    finally:
        for name in [n for n in sys.modules if n.split(".")[0] == "public"]:
            del sys.modules[name]
        sys.modules.update(ours)


@dataclass
class Received:
    """What the server accepted: one envelope and parsed message per delivery."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        # A mailbox that does not exist, as a real server answers for one.
        if address.startswith("nobody"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for rcpt, m in self.messages if address in rcpt]

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


@dataclass
class SmtpServer:
    host: str
    port: int
    received: Received


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    """A running SMTP server; Django sends to it through its SMTP backend."""
    controller_module = _import_aiosmtpd()
    received = Received()
    port = free_port()
    controller = controller_module.Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield SmtpServer("127.0.0.1", port, received)
    finally:
        controller.stop()


def body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())
