"""kohya sd-scripts: `img/<repeats>_<trigger> <class>/` with `.txt` captions, and a
`dataset.toml` for `--dataset_config`.

Either way of pointing sd-scripts at it works: `--train_data_dir <export>/img
--caption_extension .txt` reads the folder name (config_util.py,
generate_dreambooth_subsets_config_by_subdirs), or `--dataset_config <export>/dataset.toml`
(absolute `image_dir`: move the export and the folder route still works).
"""

from __future__ import annotations

from typing import ClassVar

from daemon.config import TrainingConfig
from daemon.exports.export_folder import ExportFolder
from daemon.exports.formats import CharacterDataset, ExportFormat
from daemon.exports.safe_names import kohya_folder_name
from handlers.kohya_dataset import (
    DATASET_CONFIG_FILE,
    KohyaSettings,
    KohyaSubset,
    render_dataset_config,
    repeats_for,
)

IMAGES_FOLDER = "img"


class KohyaLayout:
    format: ClassVar[ExportFormat] = ExportFormat.KOHYA
    # sd-scripts' train_util.IMAGE_EXTENSIONS
    suffixes: ClassVar[tuple[str, ...]] = (".png", ".jpg", ".jpeg", ".webp", ".bmp")

    def write(
        self, dataset: CharacterDataset, folder: ExportFolder, training: TrainingConfig
    ) -> None:
        count = len(dataset.images)
        repeats = repeats_for(count)
        words = kohya_folder_name(repeats, dataset.trigger_word, dataset.class_word)
        images = f"{IMAGES_FOLDER}/{words}"
        for image in dataset.images:
            folder.place_with_caption(image, images)
        class_tokens = words.partition("_")[2]  # as the folder name says it
        subset = KohyaSubset(folder.path(images).resolve(), repeats, class_tokens, count)
        config = render_dataset_config(subset, KohyaSettings.from_training(training))
        folder.write_text(DATASET_CONFIG_FILE, config)
