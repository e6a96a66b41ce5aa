"""Each export format's layout."""

from __future__ import annotations

from daemon.exports.ai_toolkit import AiToolkitLayout
from daemon.exports.formats import ExportFormat
from daemon.exports.imagefolder import ImageFolderLayout
from daemon.exports.kohya import KohyaLayout
from daemon.exports.layout import Layout
from daemon.exports.onetrainer import OneTrainerLayout

LAYOUTS: dict[ExportFormat, type[Layout]] = {
    layout.format: layout
    for layout in (KohyaLayout, OneTrainerLayout, AiToolkitLayout, ImageFolderLayout)
}


def layout_for(format: ExportFormat) -> Layout:
    return LAYOUTS[format]()
