"""The character overview as lines of text, for `bunny status` and `bunny characters`;
names go through `shown`, so no name drives the terminal."""

from __future__ import annotations

from daemon.display_text import REASON_LIMIT, shown
from daemon.reports.character_overview import CharacterTraining, UnknownClusters

LISTED_CLUSTERS = 5


def training_rows(lines: list[CharacterTraining]) -> list[str]:
    """A heading and one row per character: captioned of needed, images, the reason."""
    if not lines:
        return []
    rows = [
        "why each character trains or waits (captioned images / needed, dataset images):",
    ]
    for line in lines:
        counts = f"{line.captioned}/{line.threshold}"
        rows.append(
            f"  {shown(line.character):<24}  {counts:>9}  {line.images:>5} images  "
            f"{line.reason.value:<14}  {shown(line.detail, REASON_LIMIT)}"
        )
    return rows


def cluster_row(clusters: UnknownClusters) -> str:
    """One line: how many clusters wait for a name, which, and the command that names one."""
    if clusters.count == 0:
        return "unknown faces: no cluster waits for a name"
    listed = ", ".join(
        f"{shown(c.cluster)} ({c.faces} faces)" for c in clusters.clusters[:LISTED_CLUSTERS]
    )
    more = clusters.count - LISTED_CLUSTERS
    listed += f" and {more} more" if more > 0 else ""
    return (
        f"unknown faces: {clusters.count} cluster(s) wait for a name in "
        f"{shown(clusters.folder, REASON_LIMIT)}/: {listed}; name one: {clusters.command}"
    )
