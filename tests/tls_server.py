"""A test PKI made on the spot (trustme) and an SMTP login checker, for the aiosmtpd servers of the TLS tests."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Pki:
    """A CA whose file the notifier may trust, and server contexts with certificates it issued."""

    folder: Path
    ca: trustme.CA = field(default_factory=trustme.CA)

    @property
    def ca_file(self) -> str:
        """The CA certificate as a PEM file (LIFECYCLE_SMTP_CAFILE)."""
        path = self.folder / f"ca-{id(self.ca)}.pem"
        if not path.exists():
            self.ca.cert_pem.write_to_path(str(path))
        return str(path)

    def server_context(self, *names: str) -> ssl.SSLContext:
        """A server-side TLS context with a certificate for `names` (host names or IP addresses)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert(*names).configure_cert(context)
        return context


@dataclass
class Logins:
    """aiosmtpd authenticator: accepts one user name and password, and notes every attempt it saw."""

    username: str
    password: str
    attempts: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.attempts.append((login, password))
        # handled=False: aiosmtpd answers itself (235, or 535 for a wrong password).
        return AuthResult(success=(login, password) == (self.username, self.password), handled=False)
