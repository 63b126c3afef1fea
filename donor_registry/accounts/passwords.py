"""Password hashing: Argon2id through argon2-cffi (RFC 9106 parameters, the library's defaults)."""

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the login name is unknown, so a wrong name takes as long as a wrong
    password. Made on first use, not on import: every CLI command imports this module, and a
    hash costs a quarter of a second and 64 MB."""
    return _hasher.hash("not a password anyone has")


def prepare() -> None:
    """Make the dummy hash now (the HTTP app does, before its first sign-in)."""
    _dummy_hash()


def hash_password(password: str) -> str:
    """'$argon2id$v=19$m=65536,t=3,p=4$…'."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; always spends one verification, even for no hash."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """The hash was made with weaker parameters than today's defaults."""
    return _hasher.check_needs_rehash(stored_hash)
