"""Personal identifiers at rest (DESIGN §4): encrypted for storage, a keyed hash for lookup.

An ID number is stored as a Fernet token (AES-128-CBC with an HMAC, from `cryptography`) and found by
its keyed BLAKE2b digest, so equality lookups and unique constraints work without the number itself.
The keys come from SIBAO_PERSONAL_DATA_KEY (derived from SECRET_KEY when it is not set); changing the
key makes stored tokens and digests unreadable, so production sets it once and keeps it.
"""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet
from django.conf import settings


@cache
def _keys() -> tuple[bytes, Fernet]:
    secret = (settings.SIBAO_PERSONAL_DATA_KEY or settings.SECRET_KEY).encode()
    lookup = hashlib.blake2b(secret, digest_size=32, person=b"sibao-lookup").digest()
    cipher = hashlib.blake2b(secret, digest_size=32, person=b"sibao-cipher").digest()
    return lookup, Fernet(base64.urlsafe_b64encode(cipher))


def lookup_hash(value: str) -> str:
    """The keyed digest (32 hex characters) that finds a record by this identifier."""
    return hashlib.blake2b(value.encode(), digest_size=16, key=_keys()[0]).hexdigest()


def lookup_hasher():
    """A fast `lookup_hash` for a loop over many values (the key is read once)."""
    key = _keys()[0]
    blake2b = hashlib.blake2b

    def digest(value: str) -> str:
        return blake2b(value.encode(), digest_size=16, key=key).hexdigest()

    return digest


def encrypt(value: str) -> str:
    return _keys()[1].encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _keys()[1].decrypt(token.encode()).decode()
