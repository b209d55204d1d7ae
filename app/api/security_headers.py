"""Security headers on every response (OWASP secure headers): no MIME sniffing, no
framing, no referrer, and a Content-Security-Policy: none at all for API answers,
only this origin for the dashboard and admin pages, and what Swagger UI and ReDoc
need for /docs and /redoc."""

from functools import lru_cache

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# Swagger UI starts from an inline script and both tools inline their styles; ReDoc
# runs a worker from a blob. Neither page shows anything but our own OpenAPI document.
DOCS_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src blob:; "
    "frame-ancestors 'none'; base-uri 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


def policy_for(path: str) -> str:
    """The Content-Security-Policy of the response at `path`."""
    if path.startswith(DOCS_PATHS):
        return DOCS_POLICY
    if path.startswith("/api/") or path in ("/health", "/ready", "/metrics", "/openapi.json"):
        return API_POLICY
    return PAGE_POLICY


PREPARED = {
    policy: [*COMMON, (b"content-security-policy", policy.encode())]
    for policy in (API_POLICY, PAGE_POLICY, DOCS_POLICY)
}


@lru_cache(maxsize=4096)
def security_headers(path: str) -> list[tuple[bytes, bytes]]:
    """The headers every response at `path` carries (looked up once per path)."""
    return PREPARED[policy_for(path)]
