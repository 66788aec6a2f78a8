"""Password hashes that are not argon2: one-time passwords an admin hands out, and the mark
of an account that has none yet."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app

ONE_TIME = "otp$"  # a random one-time password's keyed hash (72 bits: no slow hash needed)
UNUSABLE = "!"  # no password matches: a worker from a roster, until issued a one-time one


def one_time_hash(password: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return ONE_TIME + hmac.new(key, password.encode(), hashlib.sha256).hexdigest()


def matches_one_time(stored: str, password: str) -> bool:
    return stored.startswith(ONE_TIME) and hmac.compare_digest(stored, one_time_hash(password))
