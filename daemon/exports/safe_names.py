"""Names made safe for the folders and files a layout writes, on Linux, macOS and Windows."""

from __future__ import annotations

import unicodedata

# Separators and what Windows refuses in a name; control characters go too.
_REFUSED = '/\\:*?"<>|'
_WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"{port}{n}" for port in ("COM", "LPT") for n in range(10)]
)


def safe_name(text: str, fallback: str) -> str:
    """`text` with separators, reserved and control characters as spaces, spaces collapsed,
    no leading or trailing dot or space (no `..`), and never a Windows device name."""
    name = unicodedata.normalize("NFC", text)
    name = "".join(" " if c in _REFUSED or not c.isprintable() else c for c in name)
    name = " ".join(name.split()).strip(". ")
    if name.split(".")[0].upper() in _WINDOWS_DEVICES:
        name = f"_{name}"
    return name or fallback


def kohya_folder_name(repeats: int, trigger_word: str, class_word: str) -> str:
    """sd-scripts' `<repeats>_<class tokens>`: it reads the number before the first `_` as the
    repeats and the rest as the class tokens (config_util.py,
    generate_dreambooth_subsets_config_by_subdirs)."""
    return f"{repeats}_{safe_name(trigger_word, 'character')} {safe_name(class_word, 'person')}"


def job_name(name: str) -> str:
    """ai-toolkit names its output folder and LoRA file after the job: ASCII letters, digits,
    `_` and `-` only (accents dropped: `Amélie` is `Amelie`)."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    kept = "".join(c if c.isalnum() or c in "-_" else "_" for c in folded)
    return "_".join(part for part in kept.split("_") if part) or "character"
