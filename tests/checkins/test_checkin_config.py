"""The check-in thresholds in config.toml: defaults, and a wrong value named in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]


def config_with(tmp_path: Path, lines: str) -> Path:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    cut = text.index("[checkin]")
    path = tmp_path / "config.toml"
    path.write_text(text[:cut] + "[checkin]\n" + lines + "\n\n" + text[text.index("[processing]") :])
    return path


def test_the_shipped_thresholds():
    checkin = load_config(ROOT / "config.toml", env={}).checkin
    assert (checkin.craving_threshold, checkin.mood_flag_threshold) == (7, 2)


def test_thresholds_default_when_left_out(tmp_path: Path):
    checkin = load_config(config_with(tmp_path, 'default_time = "20:00"'), env={}).checkin
    assert (checkin.craving_threshold, checkin.mood_flag_threshold) == (7, 2)


@pytest.mark.parametrize(
    ("line", "setting"),
    [
        ("craving_threshold = 11", "checkin.craving_threshold"),
        ("craving_threshold = -1", "checkin.craving_threshold"),
        ('mood_flag_threshold = "low"', "checkin.mood_flag_threshold"),
        ("mood_flag_threshold = true", "checkin.mood_flag_threshold"),
    ],
)
def test_a_wrong_threshold_names_itself(tmp_path: Path, line: str, setting: str):
    with pytest.raises(ConfigError) as error:
        load_config(config_with(tmp_path, line), env={})
    assert setting in str(error.value) and "\n" not in str(error.value)
