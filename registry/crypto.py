"""Encryption at rest of ID numbers and phones: AES-GCM values and HMAC-SHA256 blind indexes.

Hand-written on `cryptography` on purpose: no well-kept Django field package offers AES-GCM
with a list of keys for rotation and a separate blind index (django-cryptography and
django-fernet-fields are unmaintained; Fernet is AES-CBC+HMAC and keeps no key id).

Keys come from the environment, never from SECRET_KEY (docs/security.md):

- `FIELD_ENCRYPTION_KEYS`: comma-separated base64 32-byte keys, newest first. New values are
  encrypted under the first; any of them decrypts. A stored value is
  `<key id>$<base64url(nonce ‖ ciphertext ‖ tag)>`, the key id being the first 8 hex digits
  of SHA-256 over the key, so `manage.py rotate_keys` knows which rows are not yet under
  the newest key. The field's name is authenticated with it (AES-GCM associated data): an ID
  ciphertext copied into the phone column does not decrypt.
- `BLIND_INDEX_KEY`: one base64 32-byte key for HMAC-SHA256 over the normalised value, so
  equality (one ID = one member, search by full ID or phone, SMS look-ups) works in SQL.
"""

import base64
import binascii
import functools
import hashlib
import hmac
import os
import re

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models

from registry.keys import key_id, parse_key

NONCE = 12
_SEALED = re.compile(r"^[0-9a-f]{8}\$")
_URLSAFE = bytes.maketrans(b"-_", b"+/")  # what base64.urlsafe_b64decode translates


class KeyMissing(Exception):
    """A stored value names a key that is not in FIELD_ENCRYPTION_KEYS."""


class Cipher:
    """The configured keys, each with its AESGCM object built once."""

    def __init__(self, keys: list[bytes]):
        if not keys:
            raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty")
        self.keys = {key_id(k): AESGCM(k) for k in keys}
        self.newest = key_id(keys[0])
        self._newest = self.keys[self.newest]

    def encrypt(self, value: str, purpose: str) -> str:
        nonce = os.urandom(NONCE)
        sealed = self._newest.encrypt(nonce, value.encode(), purpose.encode())
        return f"{self.newest}${base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def encrypt_many(self, values: list[str], purpose: str) -> list[str]:
        """The bulk path (imports): one random read for all nonces, one AESGCM object."""
        nonces = os.urandom(NONCE * len(values))
        aad = purpose.encode()
        encrypt = self._newest.encrypt
        prefix = self.newest + "$"
        b64 = base64.urlsafe_b64encode
        out = []
        for i, value in enumerate(values):
            nonce = nonces[i * NONCE : (i + 1) * NONCE]
            out.append(prefix + b64(nonce + encrypt(nonce, value.encode(), aad)).decode())
        return out

    def decryptor(self, purpose: str):
        """`decrypt(stored)` for one purpose, for many values in a row (exports): the
        purpose encoded once and base64 decoded without the stdlib's wrappers — at
        200,000 values those were most of the decryption's time."""
        aad = purpose.encode()
        keys = self.keys
        a2b = binascii.a2b_base64

        def decrypt(stored: str) -> str:
            kid, _, body = stored.partition("$")
            aesgcm = keys.get(kid)
            if aesgcm is None:
                self.decrypt(stored, purpose)  # raises KeyMissing
            raw = a2b(body.encode().translate(_URLSAFE))
            return aesgcm.decrypt(raw[:NONCE], raw[NONCE:], aad).decode()

        return decrypt

    def decrypt(self, stored: str, purpose: str) -> str:
        kid, _, body = stored.partition("$")
        aesgcm = self.keys.get(kid)
        if aesgcm is None:
            raise KeyMissing(
                f"a value is encrypted under key {kid}, which FIELD_ENCRYPTION_KEYS does not hold"
            )
        raw = base64.urlsafe_b64decode(body)
        return aesgcm.decrypt(raw[:NONCE], raw[NONCE:], purpose.encode()).decode()


@functools.cache
def cipher() -> Cipher:
    return Cipher(
        [parse_key(k, "FIELD_ENCRYPTION_KEYS") for k in settings.FIELD_ENCRYPTION_KEYS if k]
    )


@functools.cache
def _index_mac():
    return hmac.new(parse_key(settings.BLIND_INDEX_KEY, "BLIND_INDEX_KEY"), None, hashlib.sha256)


def reset() -> None:
    """Forget the keys read so far (for tests that change the settings)."""
    cipher.cache_clear()
    _index_mac.cache_clear()


def blind_index(purpose: str, value: str) -> str:
    """HMAC-SHA256 of an already normalised value ('' stays ''), hex. `purpose` separates
    the ID and phone indexes, so equal digits never give equal hashes across them."""
    if not value:
        return ""
    mac = _index_mac().copy()
    mac.update(f"{purpose}\0{value}".encode())
    return mac.hexdigest()


def is_sealed(stored: str) -> bool:
    return bool(_SEALED.match(stored or ""))


class EncryptedTextField(models.TextField):
    """A text column holding `Cipher` output; Python sees the plain value.

    Every value, the empty string too, is stored encrypted, so rotation sees one shape.
    SQL cannot compare plain values with it: look-ups other than `isnull` and
    `sealed_with` (rows under a given key id) are refused, so a forgotten
    `.filter(id_number=…)` fails loudly instead of finding nothing; filter on the blind
    index column instead.
    """

    ALLOWED_LOOKUPS = frozenset({"isnull", "sealed_with"})

    def __init__(self, *args, purpose: str = "", **kwargs):
        self.purpose = purpose
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["purpose"] = self.purpose
        return name, path, args, kwargs

    def get_lookup(self, lookup_name):
        if lookup_name not in self.ALLOWED_LOOKUPS:
            raise FieldError(
                f"{self.model.__name__}.{self.name} is encrypted: filter on its blind index "
                f"instead of `{lookup_name}`"
            )
        return super().get_lookup(lookup_name)

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        return cipher().decrypt(value, self.purpose)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return None
        return cipher().encrypt(value, self.purpose)


@EncryptedTextField.register_lookup
class SealedWith(models.Lookup):
    """`field__sealed_with=key_id`: the stored value was encrypted under that key."""

    lookup_name = "sealed_with"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} LIKE %s", [*lhs_params, f"{self.rhs}$%"]
