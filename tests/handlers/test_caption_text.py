from __future__ import annotations

import pytest

from handlers.caption_text import (
    clean_caption,
    clip_token_counter,
    estimated_tokens,
    fit_caption,
)


@pytest.mark.parametrize(
    "raw",
    [
        "The image shows a man in a red coat, smiling",
        "This picture depicts a man in a red coat, smiling.",
        '"In this image, a man in a red coat, smiling"',
        "Caption: a man in a red coat, smiling",
        "  The image shows\n a man in a red coat,   smiling  ",
    ],
)
def test_preambles_quotes_and_lines_are_removed_and_the_trigger_comes_first(raw: str) -> None:
    assert clean_caption(raw, "lmm") == "lmm, a man in a red coat, smiling"


def test_a_caption_already_starting_with_the_trigger_is_kept_as_it_is() -> None:
    assert clean_caption("lmm, a man, close-up", "lmm") == "lmm, a man, close-up"


def test_an_empty_reply_leaves_the_trigger_word() -> None:
    assert clean_caption("  ", "lmm") == "lmm"


def test_the_estimate_never_undercounts_plain_words() -> None:
    # Every common English word is at least one CLIP token; punctuation is its own token.
    assert estimated_tokens("a man, smiling.") == 5
    assert estimated_tokens("extraordinarily") >= 2


def test_a_long_caption_is_cut_at_the_last_phrase_that_fits() -> None:
    phrases = [f"phrase{n} word" for n in range(60)]
    text = "lmm, " + ", ".join(phrases)
    fitted = fit_caption(text, 20, estimated_tokens)
    assert fitted.startswith("lmm, phrase0 word")
    assert estimated_tokens(fitted) <= 18
    assert not fitted.endswith(",")
    # the next phrase would not have fitted
    longer = fitted + ", " + text[len(fitted) + 2 :].split(", ")[0]
    assert estimated_tokens(longer) > 18


def test_a_short_caption_is_untouched() -> None:
    assert fit_caption("lmm, a man", 77, estimated_tokens) == "lmm, a man"


def test_a_real_tokenizer_counts_without_its_start_and_end_marks() -> None:
    count = clip_token_counter(lambda text: [0, *range(len(text.split())), 1])
    assert count("one two three") == 3
    assert fit_caption("lmm, one two, three four, five", 6, count) == "lmm, one two"
