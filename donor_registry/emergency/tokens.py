"""Secret tokens: hospital API tokens and one-time reply links (pure; no database).

Both are long random strings from `secrets`, so a fast hash (sha256) is enough to store
them: there is no password to brute-force, and a lookup by hash needs no slow comparison.
"""

import hashlib
import re
import secrets

HOSPITAL_TOKEN_PREFIX = "hsp_"
#: What the outbox keeps in place of a reply token: as long as one (22 characters, GSM-7),
#: so lengths and SMS parts are the same, and plainly not a working link.
REPLY_TOKEN_PLACEHOLDER = "(reply-token-not-kept)"
#: A reply token (/r/) or a personal drive link's token (/b/) in a path or a text (never
#: shorter than 16 characters).
_REPLY_PATH = re.compile(r"/([rb])/[A-Za-z0-9_-]{16,}")


def new_hospital_token() -> str:
    """A fresh API token for a hospital (256 random bits)."""
    return HOSPITAL_TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_reply_token() -> str:
    """A short, unguessable token for an SMS reply link (128 random bits, 22 characters)."""
    return secrets.token_urlsafe(16)


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.strip().encode()).hexdigest()


def display_prefix(token: str) -> str:
    """The first characters of a token, safe to show in lists so people can tell tokens apart."""
    return token[: len(HOSPITAL_TOKEN_PREFIX) + 6]


def mask_reply_links(text: str) -> str:
    """`text` with every reply token in a `/r/…` (or drive `/b/…`) link hidden (for logs and printed SMS)."""
    return _REPLY_PATH.sub(r"/\1/…", text)
