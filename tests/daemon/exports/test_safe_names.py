"""Names made safe for each layout's folders and files."""

from __future__ import annotations

import pytest

from daemon.exports.safe_names import job_name, kohya_folder_name, safe_name


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("Amélie Poulain", "Amélie Poulain"),
        ("../../etc", "etc"),
        ('a/b\\c:d*e?f"g<h>i|j', "a b c d e f g h i j"),
        ("bell\x07 and\x1b[31m esc", "bell and [31m esc"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("...", "fallback"),
        ("  spaced   out  ", "spaced out"),
    ],
)
def test_safe_name(raw: str, safe: str) -> None:
    assert safe_name(raw, "fallback") == safe


def test_kohya_folder_name_reads_back_as_sd_scripts_reads_it() -> None:
    """config_util.py, generate_dreambooth_subsets_config_by_subdirs: the number before the
    first `_` is the repeats, the rest (with any later `_`) the class tokens."""
    name = kohya_folder_name(12, "ame/lie_2", "young\nwoman")
    tokens = name.split("_")
    assert (int(tokens[0]), "_".join(tokens[1:])) == (12, "ame lie_2 young woman")
    assert "/" not in name and "\n" not in name
    assert kohya_folder_name(3, "..", "") == "3_character person"


def test_job_name_is_ascii_letters_digits_dash_and_underscore() -> None:
    assert job_name("Amélie Poulain") == "Amelie_Poulain"
    assert job_name("忍者") == "character"
    assert job_name("R2-D2 / C-3PO") == "R2-D2_C-3PO"
