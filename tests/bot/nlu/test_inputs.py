from __future__ import annotations

import pytest

from bot.nlu.inputs import prepare


@pytest.mark.parametrize(
    ("raw", "flag"),
    [
        ("", "empty"),
        ("   \n", "empty"),
        (None, "empty"),
        ("😀😀🎉", "emoji_only"),
        ("👍🏽", "emoji_only"),
        ("Мой интернет не работает", "non_latin"),
        ("我的网络坏了", "non_latin"),
        ('/greet{"name": "x"}', "command_like"),
        ("/restart", "command_like"),
    ],
)
def test_prepare_sets_exactly_the_expected_flag(raw: str | None, flag: str) -> None:
    _, flags = prepare(raw, 1000)
    assert [k for k, v in flags.items() if v] == [flag]


def test_prepare_plain_english_sets_no_flag() -> None:
    assert prepare("  my internet is down :( ", 1000) == ("my internet is down :(", dict.fromkeys(
        ["empty", "truncated", "command_like", "non_latin", "emoji_only"], False))


def test_prepare_other_latin_language_is_not_non_latin() -> None:
    assert prepare("mi internet no funciona, señor", 1000)[1]["non_latin"] is False


def test_prepare_truncates_on_a_word_boundary() -> None:
    text, flags = prepare("word " * 30, 22)
    assert (text, flags["truncated"]) == ("word word word word", True)


@pytest.mark.parametrize(
    ("raw", "seen"),
    [
        ("ORANGE LIGHT. FLASHING. WHAT DOES IT MEAN", "orange light flashing what does it mean"),
        ("my internet is down!!!", "my internet is down"),
        ("why?! WHY is my bill £76.50", "why why is my bill £76.50"),
        ("email me at jo.lee@example.com, or ring 07700-900123", "email me at jo.lee@example.com or ring 07700-900123"),
        ("I can't log in to CS-10423...", "i can't log in to cs-10423"),
        ("?!", "?!"),
    ],
)
def test_classifier_text_lowercases_and_drops_loose_punctuation_only(raw: str, seen: str) -> None:
    from bot.nlu.inputs import classifier_text

    assert classifier_text(raw) == seen
