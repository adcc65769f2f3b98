"""Envelope encryption, key ring parsing, tamper resistance and the dev key file."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from engine.auth.crypto import (
    DEV_KEY_FILE,
    Binding,
    KeyRing,
    generate_key,
    key_id_of,
    load_key_ring,
    parse_key_ring,
)
from engine.errors import ConfigError, TokenDecryptError
from engine.settings import Settings

ROW_1 = Binding("provider_accounts", 1, "spotify", "access_token_enc")
ROW_2 = Binding("provider_accounts", 2, "spotify", "access_token_enc")


def ring(*ids: str) -> KeyRing:
    return parse_key_ring(",".join(generate_key(i) for i in ids))


def test_round_trip_and_key_id_in_header() -> None:
    keys = ring("k1")
    blob = keys.encrypt("secret-token-value", ROW_1)
    assert b"secret-token-value" not in blob
    assert key_id_of(blob) == "k1"
    assert keys.decrypt_text(blob, ROW_1) == "secret-token-value"
    assert keys.encrypt("same", ROW_1) != keys.encrypt("same", ROW_1)  # fresh nonces and keys


def test_first_key_encrypts_all_decrypt() -> None:
    old = ring("k1")
    blob = old.encrypt("tok", ROW_1)
    both = KeyRing((ring("k2").primary, old.primary))
    assert both.decrypt_text(blob, ROW_1) == "tok"
    assert key_id_of(both.encrypt("tok", ROW_1)) == "k2"
    rewrapped = both.rewrap(blob, ROW_1)
    assert key_id_of(rewrapped) == "k2"
    assert KeyRing((both.keys[0],)).decrypt_text(rewrapped, ROW_1) == "tok"


@pytest.mark.parametrize("position", [0, 1, 5, 20, 40, 70, -1])
def test_flipped_byte_fails_loudly(position: int) -> None:
    keys = ring("k1")
    blob = bytearray(keys.encrypt("plain-Secret-42", ROW_1))
    blob[position] ^= 0x01
    with pytest.raises(TokenDecryptError) as info:
        keys.decrypt(bytes(blob), ROW_1)
    assert "plain-Secret-42" not in str(info.value)


def test_ciphertext_swapped_between_rows_fails() -> None:
    keys = ring("k1")
    blob = keys.encrypt("tok", ROW_1)
    with pytest.raises(TokenDecryptError, match="k1"):
        keys.decrypt(blob, ROW_2)
    other_column = Binding("provider_accounts", 1, "spotify", "refresh_token_enc")
    with pytest.raises(TokenDecryptError):
        keys.decrypt(blob, other_column)
    other_provider = Binding("provider_accounts", 1, "deezer", "access_token_enc")
    with pytest.raises(TokenDecryptError):
        keys.decrypt(blob, other_provider)


def test_wrong_key_and_missing_key_name_the_key_id() -> None:
    blob = ring("k1").encrypt("tok", ROW_1)
    with pytest.raises(TokenDecryptError, match=r"'k1'.*wrong key"):
        ring("k1").decrypt(blob, ROW_1)  # same id, different key material
    with pytest.raises(TokenDecryptError, match="'k1' is not in the key ring"):
        ring("k9").decrypt(blob, ROW_1)


def test_truncated_and_foreign_blobs() -> None:
    keys = ring("k1")
    with pytest.raises(TokenDecryptError, match="truncated"):
        keys.decrypt(keys.encrypt("tok", ROW_1)[:30], ROW_1)
    with pytest.raises(TokenDecryptError, match="format"):
        keys.decrypt(b"plaintext", ROW_1)


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("", "no keys"),
        ("k1", "id:base64key"),
        ("k1:!!!", "not valid base64"),
        ("k1:c2hvcnQ=", "AES-256 needs 32"),
        ("bad id:" + "A" * 44, "must be"),
    ],
)
def test_bad_key_ring_specs(spec: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        parse_key_ring(spec)


def test_duplicate_ids_refused_and_secret_never_in_messages() -> None:
    entry = generate_key("k1")
    with pytest.raises(ConfigError, match="duplicate") as info:
        parse_key_ring(f"{entry},{entry}")
    assert entry.split(":")[1] not in str(info.value)
    assert entry.split(":")[1] not in repr(parse_key_ring(entry))


def test_urlsafe_base64_is_accepted() -> None:
    import base64
    import os

    key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    assert parse_key_ring(f"k1:{key}\nk2:{base64.b64encode(os.urandom(32)).decode()}").ids == (
        "k1",
        "k2",
    )


def test_dev_key_file_is_generated_0600_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(env="development", data_dir=tmp_path / "d")  # type: ignore[call-arg]
    with caplog.at_level(logging.WARNING):
        first = load_key_ring(settings)
    path = tmp_path / "d" / DEV_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "generated a development key file" in caplog.text
    assert load_key_ring(settings) == first  # reused, not regenerated
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="readable by other users"):
        load_key_ring(settings)


def test_production_refuses_without_keys(tmp_path: Path) -> None:
    settings = Settings(env="production", data_dir=tmp_path)  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match="required in production"):
        load_key_ring(settings)
    assert not (tmp_path / DEV_KEY_FILE).exists()
    configured = Settings(env="production", token_keys=generate_key("p1"))  # type: ignore[call-arg]
    assert load_key_ring(configured).primary.id == "p1"
