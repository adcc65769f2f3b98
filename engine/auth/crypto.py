"""AES-256-GCM envelope encryption of tokens and secrets at rest.

Each value gets its own random 256-bit data key; the data key is wrapped by
the newest key-encryption key of the key ring (``CROSSFADE_TOKEN_KEYS``, e.g.
``k2:BASE64,k1:BASE64``: the first encrypts, all decrypt). Both layers carry
the same associated data, which binds the ciphertext to where it is stored
(table, row id, provider, column): a ciphertext copied to another row or
column fails to decrypt. Rotation only re-wraps the data key, so plaintext is
never materialised to rotate.

Blob layout (bytes)::

    0x01 | len(key_id) | key_id | wrap_nonce(12) | wrapped_dek(48) | nonce(12) | ciphertext+tag

In development, with no keys configured, a key file ``token-keys`` is created
under the data dir with mode 0600 and a warning is logged; in production the
process refuses to start without keys.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
import secrets
import stat
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from engine.errors import ConfigError, TokenDecryptError
from engine.settings import Settings

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
KEY_BYTES = 32
NONCE_BYTES = 12
WRAPPED_KEY_BYTES = KEY_BYTES + 16  # data key + GCM tag
DEV_KEY_FILE = "token-keys"
"""Name of the generated development key file under ``Settings.data_dir``."""

_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class Key:
    """One key-encryption key. Its bytes never appear in a repr."""

    id: str
    secret: bytes = field(repr=False)


@dataclass(frozen=True)
class Binding:
    """Where a ciphertext lives; used as associated data, so it cannot move."""

    table: str
    row_id: str | int
    provider: str
    column: str

    def aad(self) -> bytes:
        return f"crossfade/v1|{self.table}|{self.row_id}|{self.provider}|{self.column}".encode()

    def describe(self) -> str:
        return f"{self.table}.{self.column} of {self.provider} row {self.row_id}"


@dataclass(frozen=True)
class KeyRing:
    """Ordered keys: ``keys[0]`` encrypts, every key decrypts."""

    keys: tuple[Key, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise ConfigError("the token key ring is empty")
        ids = [key.id for key in self.keys]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ConfigError(f"CROSSFADE_TOKEN_KEYS: duplicate key id {duplicates[0]!r}")

    @property
    def primary(self) -> Key:
        return self.keys[0]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(key.id for key in self.keys)

    def get(self, key_id: str) -> Key | None:
        return next((key for key in self.keys if key.id == key_id), None)

    def encrypt(self, plaintext: str | bytes, binding: Binding) -> bytes:
        """Encrypt under the primary key, bound to ``binding``."""
        data = plaintext.encode() if isinstance(plaintext, str) else plaintext
        data_key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(NONCE_BYTES)
        body = AESGCM(data_key).encrypt(nonce, data, binding.aad())
        return self._wrap(self.primary, data_key, binding) + nonce + body

    def decrypt(self, blob: bytes, binding: Binding) -> bytes:
        """Plaintext bytes, or TokenDecryptError naming the key id; never empty output
        for a tampered, moved or foreign ciphertext."""
        key_id, wrap_nonce, wrapped, rest = _split(blob, binding)
        key = self.get(key_id)
        if key is None:
            raise TokenDecryptError(
                f"cannot decrypt {binding.describe()}: key id {key_id!r} is not in the key ring "
                f"(configured ids: {', '.join(self.ids)}); add it to CROSSFADE_TOKEN_KEYS"
            )
        try:
            data_key = AESGCM(key.secret).decrypt(wrap_nonce, wrapped, binding.aad())
            return AESGCM(data_key).decrypt(rest[:NONCE_BYTES], rest[NONCE_BYTES:], binding.aad())
        except InvalidTag:
            raise TokenDecryptError(
                f"cannot decrypt {binding.describe()} with key id {key_id!r}: wrong key, "
                "or the ciphertext was altered or moved from another row"
            ) from None

    def decrypt_text(self, blob: bytes, binding: Binding) -> str:
        return self.decrypt(blob, binding).decode()

    def rewrap(self, blob: bytes, binding: Binding) -> bytes:
        """The same ciphertext with its data key wrapped by the primary key.

        Verifies the whole value first, so a corrupt row is reported, not copied.
        """
        self.decrypt(blob, binding)
        key_id, wrap_nonce, wrapped, rest = _split(blob, binding)
        old = self.get(key_id)
        assert old is not None  # decrypt() succeeded
        data_key = AESGCM(old.secret).decrypt(wrap_nonce, wrapped, binding.aad())
        return self._wrap(self.primary, data_key, binding) + rest

    @staticmethod
    def _wrap(key: Key, data_key: bytes, binding: Binding) -> bytes:
        kid = key.id.encode()
        wrap_nonce = os.urandom(NONCE_BYTES)
        wrapped = AESGCM(key.secret).encrypt(wrap_nonce, data_key, binding.aad())
        return bytes([FORMAT_VERSION, len(kid)]) + kid + wrap_nonce + wrapped


def key_id_of(blob: bytes) -> str:
    """The id of the key that wraps ``blob`` (read from its header)."""
    return _split(blob, None)[0]


def _split(blob: bytes, binding: Binding | None) -> tuple[str, bytes, bytes, bytes]:
    where = binding.describe() if binding else "ciphertext"
    if len(blob) < 2 or blob[0] != FORMAT_VERSION:
        raise TokenDecryptError(f"cannot decrypt {where}: unknown ciphertext format")
    kid_len = blob[1]
    start = 2 + kid_len
    min_len = start + NONCE_BYTES + WRAPPED_KEY_BYTES + NONCE_BYTES + 16
    if len(blob) < min_len:
        raise TokenDecryptError(f"cannot decrypt {where}: ciphertext is truncated")
    try:
        key_id = blob[2:start].decode("ascii")
    except UnicodeDecodeError:
        raise TokenDecryptError(f"cannot decrypt {where}: corrupt key id") from None
    wrap_nonce = blob[start : start + NONCE_BYTES]
    wrapped = blob[start + NONCE_BYTES : start + NONCE_BYTES + WRAPPED_KEY_BYTES]
    rest = blob[start + NONCE_BYTES + WRAPPED_KEY_BYTES :]
    return key_id, wrap_nonce, wrapped, rest


# -- building the key ring ---------------------------------------------------------


def generate_key(key_id: str | None = None) -> str:
    """A new ``id:base64key`` entry for CROSSFADE_TOKEN_KEYS."""
    key_id = key_id or "k" + datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    _check_key_id(key_id)
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"


def parse_key_ring(spec: str, *, source: str = "CROSSFADE_TOKEN_KEYS") -> KeyRing:
    """Parse ``id:base64key[,id:base64key...]`` (commas or newlines between entries).

    Errors name the entry's position or key id, never the key material.
    """
    keys: list[Key] = []
    entries = [e.strip() for e in re.split(r"[,\n]", spec) if e.strip() and not e.startswith("#")]
    for position, entry in enumerate(entries, start=1):
        key_id, sep, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not sep:
            raise ConfigError(f"{source}: entry {position} is not of the form id:base64key")
        _check_key_id(key_id, source=source)
        try:
            secret = base64.b64decode(encoded.strip(), altchars=_altchars(encoded), validate=True)
        except (binascii.Error, ValueError):
            raise ConfigError(f"{source}: key {key_id!r} is not valid base64") from None
        if len(secret) != KEY_BYTES:
            raise ConfigError(
                f"{source}: key {key_id!r} is {len(secret)} bytes; AES-256 needs {KEY_BYTES}"
            )
        keys.append(Key(key_id, secret))
    if not keys:
        raise ConfigError(f"{source}: no keys given")
    return KeyRing(tuple(keys))


def _altchars(encoded: str) -> bytes | None:
    return b"-_" if ("-" in encoded or "_" in encoded) else None


def _check_key_id(key_id: str, *, source: str = "key id") -> None:
    if not _KEY_ID.match(key_id):
        raise ConfigError(f"{source}: key id {key_id!r} must be 1-64 of [A-Za-z0-9_.-]")


def load_key_ring(settings: Settings) -> KeyRing:
    """The key ring from settings; in development a generated key file (0600).

    Production without ``CROSSFADE_TOKEN_KEYS`` raises ConfigError.
    """
    if settings.token_keys:
        return parse_key_ring(settings.token_keys)
    if settings.is_production:
        raise ConfigError(
            "CROSSFADE_TOKEN_KEYS is required in production; create one with "
            "`crossfade keys generate`"
        )
    return parse_key_ring(
        _dev_key_file(settings.data_dir), source=str(settings.data_dir / DEV_KEY_FILE)
    )


def _dev_key_file(data_dir: Path) -> str:
    path = data_dir / DEV_KEY_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise ConfigError(
                f"{path} is readable by other users (mode {mode:o}); run chmod 600 on it"
            ) from None
        return path.read_text()
    with os.fdopen(fd, "w") as handle:
        handle.write(generate_key("dev1") + "\n")
    log.warning(
        "No CROSSFADE_TOKEN_KEYS configured: generated a development key file at %s (mode 0600). "
        "Set CROSSFADE_TOKEN_KEYS for production.",
        path,
    )
    return path.read_text()
