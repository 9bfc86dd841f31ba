"""Typed readers for settings that come from environment variables.

A bad value fails at startup with a message that names the variable, so a misconfigured
deployment never starts half-working. An optional `.env` file in the project root (written by
`scripts/demo` with generated keys) is read first without overriding the real environment.
"""

from __future__ import annotations

import os
from pathlib import Path


class EnvError(RuntimeError):
    """A required environment variable is missing or malformed."""


def load_dotenv(path: Path) -> None:
    """Read KEY=VALUE lines from `path` into os.environ unless already set."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip().strip('"').strip("'"))


def env_str(name: str, default: str | None = None) -> str:
    """A string variable; without a default it is required."""
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise EnvError(f"环境变量 {name} 未设置 (environment variable {name} is required)")
        return default
    return value


def env_dir(name: str, default: Path) -> Path:
    """A directory the program writes to, made (with its parents) if it does not exist yet."""
    path = Path(env_str(name, str(default))).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise EnvError(
            f"环境变量 {name} 指定的目录 {path} 无法创建或不是目录（{error.strerror}）"
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise EnvError(f"环境变量 {name} 指定的目录 {path} 不可写")
    return path


def env_bool(name: str, default: bool) -> bool:
    """A boolean variable: 1/true/yes/on or 0/false/no/off."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise EnvError(f"环境变量 {name} 应为 true/false，实际为 {value!r}")


def env_int(name: str, default: int) -> int:
    """An integer variable."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise EnvError(f"环境变量 {name} 应为整数，实际为 {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated list variable."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def check_rating_settings(values: dict) -> None:
    """The public-rating settings (C8) are in range, and holidays are real dates."""
    import datetime as dt

    for name in ("RATING_LIMIT_MINUTES", "RATING_DEVICE_LIMIT", "RATING_REPEAT_HOURS"):
        if values[name] < 1:
            raise EnvError(f"环境变量 DANGJIAN_{name} 应为正整数，实际为 {values[name]}")
    for name in ("RATING_ADDRESS_LIMIT", "TRUSTED_PROXIES"):
        if values[name] < 0:
            raise EnvError(f"环境变量 DANGJIAN_{name} 不能为负数，实际为 {values[name]}")
    if values["SERVER"] not in ("gunicorn", "granian"):
        raise EnvError(
            f"环境变量 DANGJIAN_SERVER 应为 gunicorn 或 granian，实际为 {values['SERVER']!r}"
        )
    if not 1 <= values["CASE_WORKING_DAYS"] <= 60:
        raise EnvError("环境变量 DANGJIAN_CASE_WORKING_DAYS 应在 1–60 之间")
    for name in ("HOLIDAYS", "WORKDAYS"):
        for text in values[name]:
            try:
                dt.date.fromisoformat(text)
            except ValueError:
                raise EnvError(
                    f"环境变量 DANGJIAN_{name} 中的 {text!r} 不是 YYYY-MM-DD 日期"
                ) from None
