"""sd-scripts' rules for a `--dataset_config` file, as its own loader states them.

Read from kohya-ss/sd-scripts, library/config_util.py, class ConfigSanitizer: the user config
is checked by `Schema({"general": general_schema, "datasets": [dataset_schema]})` (voluptuous,
which refuses unknown keys by default); for a DreamBooth-style dataset (no `metadata_file`)
`dataset_schema` is `db_dataset_schema` and its subsets `db_subset_schema`, merged from
SUBSET_ASCENDABLE_SCHEMA, DB_SUBSET_ASCENDABLE_SCHEMA, DB_SUBSET_DISTINCT_SCHEMA (where
`image_dir` is Required), DATASET_ASCENDABLE_SCHEMA and, for train_network.py, the caption
dropout keys (DO_SUBSET_ASCENDABLE_SCHEMA). `resolution` is an int or two ints
(__validate_and_convert_scalar_or_twodim). With `enable_bucket`, the dataset asserts
min_bucket_reso <= resolution <= max_bucket_reso (train_util.py, BaseDataset.
adjust_min_max_bucket_reso_by_steps). `image_dir` is opened as written (train_util.py,
DreamBoothDataset.load_dreambooth_dir: os.path.isdir(subset.image_dir)), so a relative one
depends on the trainer's working folder. Not sd-scripts' code: our own check of its rules.
"""

from __future__ import annotations

from typing import Any

NUMBER = (int, float)
SUBSET_ASCENDABLE: dict[str, Any] = {
    "color_aug": bool, "face_crop_aug_range": list, "flip_aug": bool, "num_repeats": int,
    "random_crop": bool, "shuffle_caption": bool, "keep_tokens": int,
    "keep_tokens_separator": str, "secondary_separator": str, "caption_separator": str,
    "enable_wildcard": bool, "token_warmup_min": int, "token_warmup_step": NUMBER,
    "caption_prefix": str, "caption_suffix": str, "custom_attributes": dict,
    "resize_interpolation": str,
}  # fmt: skip
DROPOUT = {"caption_dropout_every_n_epochs": int, "caption_dropout_rate": NUMBER,
           "caption_tag_dropout_rate": NUMBER}  # fmt: skip
DB_SUBSET_ASCENDABLE = {"caption_extension": str, "class_tokens": str, "cache_info": bool}
DB_SUBSET_DISTINCT = {"image_dir": str, "is_reg": bool, "alpha_mask": bool}
DATASET_ASCENDABLE: dict[str, Any] = {
    "batch_size": int, "bucket_no_upscale": bool, "bucket_reso_steps": int,
    "enable_bucket": bool, "max_bucket_reso": int, "min_bucket_reso": int,
    "validation_seed": int, "validation_split": float, "resolution": "resolution",
    "network_multiplier": float, "resize_interpolation": str,
}  # fmt: skip
GENERAL = DATASET_ASCENDABLE | SUBSET_ASCENDABLE | DB_SUBSET_ASCENDABLE | DROPOUT
DATASET = GENERAL | {"subsets": "subsets"}
SUBSET = SUBSET_ASCENDABLE | DB_SUBSET_DISTINCT | DB_SUBSET_ASCENDABLE | DROPOUT


def problems(config: dict[str, Any]) -> list[str]:
    """What sd-scripts' ConfigSanitizer would refuse in a parsed DreamBooth-style config."""
    found = _keys("", config, {"general": "table", "datasets": "tables"})
    found += _keys("general", config.get("general", {}), GENERAL)
    for n, dataset in enumerate(config.get("datasets", [])):
        found += _keys(f"datasets[{n}]", dataset, DATASET)
        for m, subset in enumerate(dataset.get("subsets", [])):
            where = f"datasets[{n}].subsets[{m}]"
            found += _keys(where, subset, SUBSET)
            if "image_dir" not in subset:
                found.append(f"{where}: image_dir is required")
            if "metadata_file" in subset:
                found.append(f"{where}: metadata_file makes it a fine-tuning subset")
        found += _buckets(f"datasets[{n}]", config.get("general", {}) | dataset)
    return found


def _keys(where: str, table: object, schema: dict[str, Any]) -> list[str]:
    if not isinstance(table, dict):
        return [f"{where}: not a table"]
    found = []
    for key, value in table.items():
        if key not in schema:
            found.append(f"{where}: unknown key {key!r}")
        elif not _fits(value, schema[key]):
            found.append(f"{where}.{key}: {value!r} is not {schema[key]}")
    return found


def _fits(value: object, rule: Any) -> bool:
    if rule == "resolution":
        pair = isinstance(value, list) and len(value) == 2
        return _is(value, int) or (pair and all(_is(v, int) for v in value))
    if rule in ("table", "tables", "subsets"):
        return isinstance(value, dict if rule == "table" else list)
    kinds = rule if isinstance(rule, tuple) else (rule,)
    return any(_is(value, kind) for kind in kinds)


def _is(value: object, kind: type) -> bool:
    """Strict: a bool is not taken for a number here."""
    return isinstance(value, kind) and (kind is bool or not isinstance(value, bool))


def _buckets(where: str, merged: dict[str, Any]) -> list[str]:
    resolution = merged.get("resolution")
    if not merged.get("enable_bucket") or resolution is None:
        return []
    sides = resolution if isinstance(resolution, list) else [resolution, resolution]
    low, high = merged.get("min_bucket_reso", 256), merged.get("max_bucket_reso", 1024)
    steps = merged.get("bucket_reso_steps", 64)
    found = [] if low <= min(sides) and max(sides) <= high else [f"{where}: {sides} not in buckets"]
    if low % steps or high % steps:
        found.append(f"{where}: bucket bounds {low}, {high} not multiples of {steps}")
    return found
