"""One TLS context for every HTTP client in the process.

httpx builds a context of its own for each client it makes, loading the CA bundle each time:
20 to 40 ms of CPU, paid by every upload into Slack and every test's stack. A context holds no
per-connection state and can be shared by any number of clients.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default context (certificates checked against its CA bundle), made once."""
    return httpx.create_ssl_context()
