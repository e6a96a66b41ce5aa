"""Hostile special files made in the live inbox: FIFOs, links to devices, broken links,
link loops, links out of the tree (followed by design: their targets must stay untouched)."""

from __future__ import annotations

from tests.hostile import makers
from tests.hostile.catalogue import InputSpec, Kind, Maker, Outcome, spec

DONE, REJECTED, LEFT_ALONE = Outcome.DONE, Outcome.REJECTED, Outcome.LEFT_ALONE


def live(
    key: str, where: str, kind: Kind, expected: Outcome | set[Outcome], make: Maker
) -> InputSpec:
    return spec(key, where, kind, expected, make, in_place=True)


def link_inputs(faces: bool) -> list[InputSpec]:
    """`faces`: the photo outside the tree is a real face (else one without a face)."""
    movie, photo = Kind.MOVIE, Kind.PHOTO
    return [
        live("movie-fifo", "movies/pipe.mp4", movie, REJECTED, makers.fifo),
        live("movie-link-dev-zero", "movies/zero.mp4", movie, REJECTED,
             makers.link_to("/dev/zero")),
        live("movie-link-dev-urandom", "movies/urandom.mkv", movie, REJECTED,
             makers.link_to("/dev/urandom")),
        live("movie-link-broken", "movies/broken.mp4", movie, REJECTED,
             makers.link_to("/nonexistent/bunny-gone.mp4")),
        live("movie-link-broken-relative", "movies/broken-rel.mp4", movie, REJECTED,
             makers.broken_relative_link),
        live("movie-link-self-loop", "movies/self.mp4", movie, REJECTED, makers.self_link),
        live("movie-link-pair-loop", "movies/loop.mp4", movie, REJECTED, makers.link_loop),
        live("movie-link-outside", "movies/outside.mp4", movie, DONE,
             makers.link_into_sentinel(makers.OUTSIDE_CLIP)),
        live("movie-link-relative", "movies/relative.mp4", movie, DONE,
             makers.link_into_sentinel(makers.RELATIVE_CLIP, relative=True)),
        live("movie-hard-link-outside", "movies/hard.mp4", movie, DONE,
             makers.hard_link_into_sentinel(makers.HARD_LINKED_CLIP)),
        live("movie-link-to-folder", "movies/folder-link.mp4", movie, {LEFT_ALONE, REJECTED},
             makers.link_into_sentinel(makers.OUTSIDE_FOLDER)),
        live("face-fifo", "faces/Piped/photo.jpg", photo, REJECTED, makers.fifo),
        live("face-fifo-top-level", "faces/Pipe.jpg", photo, REJECTED, makers.fifo),
        live("face-link-dev-zero", "faces/Zeroes/photo.jpg", photo, REJECTED,
             makers.link_to("/dev/zero")),
        live("face-link-broken", "faces/Broken/photo.jpg", photo, REJECTED,
             makers.link_to("/nonexistent/bunny-gone.jpg")),
        live("face-link-broken-relative", "faces/Dangling/photo.jpg", photo, REJECTED,
             makers.broken_relative_link),
        live("face-link-self-loop", "faces/Looped/photo.jpg", photo, REJECTED,
             makers.self_link),
        live("face-link-outside", "faces/Outsider/photo.jpg", photo,
             Outcome.REFERENCE if faces else REJECTED,
             makers.link_into_sentinel(makers.OUTSIDE_PHOTO)),
        live("face-link-outside-relative", "faces/Relative/photo.jpg", photo,
             Outcome.REFERENCE if faces else REJECTED,
             makers.link_into_sentinel(makers.OUTSIDE_PHOTO, relative=True)),
    ]  # fmt: skip
