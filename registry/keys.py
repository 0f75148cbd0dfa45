"""The keys for encryption at rest, read by the settings (no Django imports here).

`FIELD_ENCRYPTION_KEYS`: comma-separated base64 32-byte keys, newest first;
`BLIND_INDEX_KEY`: one base64 32-byte key. See registry/crypto.py and docs/security.md.
"""

import base64
import binascii
import hashlib
import os


class BadKey(ValueError):
    pass


def parse_key(text: str, name: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise BadKey(f"{name}: a key must be base64 (got {text[:4]}…)") from None
    if len(key) != 32:
        raise BadKey(f"{name}: a key must be 32 bytes (base64 of 32 random bytes)")
    return key


def key_id(key: bytes) -> str:
    """The short name a stored value carries of the key that encrypted it."""
    return hashlib.sha256(key).hexdigest()[:8]


def new_key() -> str:
    """A fresh key as the settings expect it."""
    return base64.b64encode(os.urandom(32)).decode()


def development_keys() -> tuple[str, str]:
    """Fixed keys for DEBUG, tests and benchmarks: published here, so they protect nothing
    (like the development SECRET_KEY); production refuses to start without its own."""
    field = hashlib.sha256(b"gonghui development field encryption key").digest()
    index = hashlib.sha256(b"gonghui development blind index key").digest()
    return base64.b64encode(field).decode(), base64.b64encode(index).decode()
