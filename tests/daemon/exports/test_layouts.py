"""Each layout, written from a real library and read as its trainer reads it: Hugging Face
`datasets` loads the imagefolder export itself; kohya, OneTrainer and ai-toolkit are checked
against the rules of their own loaders, cited where they are checked."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import yaml
from PIL import Image

from daemon.exports.dataset_reader import read_dataset
from daemon.exports.formats import ExportedCharacter, ExportFormat, LeftOut
from daemon.exports.layout import export_character
from daemon.exports.registry import layout_for
from handlers.kohya_dataset import repeats_for
from tests.daemon.exports.conftest import AMELIE, BuiltLibrary, Cast
from tests.handlers import kohya_rules


def export(built: BuiltLibrary, chosen: ExportFormat, target: Path) -> ExportedCharacter:
    dataset = read_dataset(built.library, AMELIE.name, AMELIE.trigger, AMELIE.class_word)
    return export_character(layout_for(chosen), dataset, target, built.config.training)


def captions_of(images: list[Path]) -> dict[str, str]:
    return {i.name: i.with_suffix(".txt").read_text().strip() for i in images}


def pairs(folder: Path) -> dict[str, str]:
    """Image name -> the first line of the `.txt` beside it (what kohya reads, read_caption)."""
    return {
        image.name: image.with_suffix(".txt").read_text(encoding="utf-8").splitlines()[0]
        for image in folder.iterdir()
        if image.suffix != ".txt"
    }


def library_state(library: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(library)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(library.rglob("*"))
        if p.is_file()
    }


def load_imagefolder(folder: Path, cache: Path) -> list[dict[str, Any]]:
    """Hugging Face's own loader, in a process of its own with the network turned off."""
    script = (
        "import datasets, json, sys\n"
        "rows = datasets.load_dataset('imagefolder', data_dir=sys.argv[1], cache_dir=sys.argv[2],"
        " split='train')\n"
        "print(json.dumps([{'text': r['text'], 'size': list(r['image'].size)} for r in rows]))\n"
    )
    offline = {"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(cache / "hf")}
    env = os.environ | offline | {"HF_DATASETS_CACHE": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", script, str(folder), str(cache)],
        env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows: list[dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    return rows


def test_imagefolder_loads_with_hugging_face_datasets_as_does_the_library_folder(
    built: BuiltLibrary, tmp_path: Path
) -> None:
    before = library_state(built.library)
    done = export(built, ExportFormat.IMAGEFOLDER, tmp_path / "out")
    expected = sorted(captions_of(built.images[AMELIE.name]).values())
    rows = load_imagefolder(done.folder, tmp_path / "hf-cache")
    assert sorted(row["text"] for row in rows) == expected
    own = load_imagefolder(built.library / "characters" / AMELIE.name / "dataset", tmp_path / "c2")
    # The library's own metadata.jsonl lists the image whose caption the user blanked (with
    # text ""); the export leaves it out, as training's dataset freeze does.
    assert sorted(row["text"] for row in own) == sorted([*expected, ""])
    assert done.images == len(expected) == 7 and done.left_out == ()
    assert sorted(p.name for p in done.folder.iterdir()) == sorted(
        [i.name for i in built.images[AMELIE.name]] + ["metadata.jsonl"]
    )
    assert library_state(built.library) == before, "the library is only read"


def test_kohya_folders_and_toml_follow_sd_scripts_rules(
    built: BuiltLibrary, tmp_path: Path
) -> None:
    done = export(built, ExportFormat.KOHYA, tmp_path / "out")
    repeats = repeats_for(7)
    (subfolder,) = (done.folder / "img").iterdir()
    # config_util.py, generate_dreambooth_subsets_config_by_subdirs: int(name.split("_")[0])
    # repeats, the rest the class tokens.
    head, _, tokens = subfolder.name.partition("_")
    assert (int(head), tokens) == (repeats, "amelie woman")
    assert pairs(subfolder) == captions_of(built.images[AMELIE.name])
    config = tomllib.loads((done.folder / "dataset.toml").read_text(encoding="utf-8"))
    assert kohya_rules.problems(config) == []
    (subset,) = config["datasets"][0]["subsets"]
    assert subset == {"image_dir": str(subfolder.resolve()), "num_repeats": repeats,
                      "class_tokens": tokens}  # fmt: skip
    assert Path(subset["image_dir"]).is_absolute()  # opened as written: see kohya_rules
    assert config["general"]["caption_extension"] == ".txt"


# OneTrainer, modules/util/config/ConceptConfig.py (ConceptConfig.default_values, config
# version 1) and ConceptTextConfig: the keys and their types; BaseConfig.from_dict fills what
# is left out. Prompt sources from its concept window: sample, concept, filename;
# BalancingStrategy: REPEATS, SAMPLES.
CONCEPT_KEYS = {
    "__version": int, "name": str, "path": str, "seed": int, "enabled": bool,
    "validation_concept": bool, "include_subdirectories": bool, "image_variations": int,
    "text_variations": int, "balancing": float, "balancing_strategy": str, "loss_weight": float,
    "image": dict, "text": dict,
}  # fmt: skip
TEXT_KEYS = {"prompt_source": str, "prompt_path": str, "enable_tag_shuffling": bool,
             "tag_delimiter": str, "keep_tags_count": int}  # fmt: skip


def test_onetrainer_concept_file_has_onetrainers_shape(built: BuiltLibrary, tmp_path: Path) -> None:
    done = export(built, ExportFormat.ONETRAINER, tmp_path / "out")
    concepts = json.loads((done.folder / "concepts.json").read_text(encoding="utf-8"))
    assert isinstance(concepts, list) and len(concepts) == 1
    (concept,) = concepts
    assert all(type(concept[key]) is CONCEPT_KEYS[key] for key in concept), concept
    assert all(type(concept["text"][k]) is TEXT_KEYS[k] for k in concept["text"])
    assert concept["__version"] == 1 and concept["enabled"] is True
    assert concept["text"]["prompt_source"] == "sample"  # "From text file per sample"
    assert concept["balancing_strategy"] in {"REPEATS", "SAMPLES"}
    assert concept["balancing"] == float(repeats_for(7))
    assert Path(concept["path"]).is_absolute()
    assert pairs(Path(concept["path"])) == captions_of(built.images[AMELIE.name])


def test_ai_toolkit_job_has_the_shape_of_its_examples(built: BuiltLibrary, tmp_path: Path) -> None:
    done = export(built, ExportFormat.AI_TOOLKIT, tmp_path / "out")
    job = yaml.safe_load((done.folder / "config.yaml").read_text(encoding="utf-8"))
    # ai-toolkit, config/examples/train_lora_flux_24gb.yaml: job, config.name, config.process.
    assert job["job"] == "extension" and re.fullmatch(r"[A-Za-z0-9_-]+", job["config"]["name"])
    (process,) = job["config"]["process"]
    assert process["type"] == "sd_trainer" and process["trigger_word"] == "amelie"
    (dataset,) = process["datasets"]
    assert dataset["caption_ext"] == "txt" and dataset["resolution"] == [512]
    assert process["model"]["name_or_path"] == "/models/sd15"  # ModelConfig requires it
    assert all("{trigger}" not in p for p in process["sample"]["prompts"])
    # "Only jpg, jpeg, and png are supported currently" (the example's datasets comment).
    jpegs = [i for i in built.images[AMELIE.name] if i.suffix == ".jpg"]
    assert pairs(Path(dataset["folder_path"])) == captions_of(jpegs)
    webp = built.images[AMELIE.name][-1].name
    assert done.left_out == (LeftOut(webp, "ai-toolkit reads no such image"),)


def test_two_images_that_share_a_caption_file_export_once(
    built: BuiltLibrary, tmp_path: Path
) -> None:
    first = built.images[AMELIE.name][0]
    twin = first.with_suffix(".png")
    Image.new("RGB", (40, 40)).save(twin)  # the user's, beside ours, named alike
    done = export(built, ExportFormat.KOHYA, tmp_path / "out")
    assert done.left_out == (LeftOut(twin.name, f"shares its caption with {first.name}"),)
    (images,) = (done.folder / "img").iterdir()
    assert (images / first.name).exists() and not (images / twin.name).exists()


def test_every_layout_hard_links_the_images_and_copies_nothing(
    built: BuiltLibrary, tmp_path: Path
) -> None:
    sources = {i.name: i.stat().st_ino for i in built.images[AMELIE.name]}
    for chosen in ExportFormat:
        done = export(built, chosen, tmp_path / chosen.value)
        placed = {p.name: p.stat().st_ino for p in done.folder.rglob("*") if p.name in sources}
        assert placed == {n: sources[n] for n in placed} and len(placed) == done.images
        assert done.linked == done.images


def test_an_empty_character_exports_nothing(built: BuiltLibrary) -> None:
    empty: Cast = Cast("Bretodeau", "bretodeau", "man", 0)
    assert read_dataset(built.library, empty.name, empty.trigger, empty.class_word).images == ()
