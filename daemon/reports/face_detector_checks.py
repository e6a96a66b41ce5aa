"""`bunny doctor`'s look at the faces stage's detector: which one `faces.detector` gives here,
found from the installed packages without loading a model."""

from __future__ import annotations

from daemon.config import FacesConfig
from daemon.reports.checks import INSTALL_HINT, Check, Level

NAME = "face detector"


def face_detector_check(config: FacesConfig) -> Check:
    """A named detector whose package is missing fails (the daemon refuses to start); `auto`
    says which detector it takes on this device, and warns when it must pass one over."""
    from handlers.face_detectors import AUTO_ORDER, detector_problem, this_device

    if config.detector != "auto":
        problem = detector_problem(config.detector)
        if problem is None:
            return Check(Level.OK, NAME, config.detector)
        return Check(
            Level.FAIL,
            NAME,
            f"faces.detector {config.detector} {problem}; `bunny run` refuses to start",
            f"{INSTALL_HINT}, or set faces.detector to auto",
        )
    device = this_device()
    order = AUTO_ORDER[device]
    problems = {name: detector_problem(name) for name in order}
    chosen = next((name for name in order if problems[name] is None), None)
    if chosen is None:
        return Check(Level.FAIL, NAME, f"auto: none of {', '.join(order)} can load here")
    skipped = [f"{name} {problems[name]}" for name in order[: order.index(chosen)]]
    if not skipped:
        return Check(Level.OK, NAME, f"auto -> {chosen} on {device.value}")
    missed = ": profiles and faces under about 40 px are missed" if chosen == "hog" else ""
    return Check(
        Level.WARN,
        NAME,
        f"auto -> {chosen} on {device.value}, passing over {'; '.join(skipped)}{missed}",
        INSTALL_HINT,
    )
