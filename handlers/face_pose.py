"""Whether a found face is turned too far for dlib's encoder, judged from its landmarks.

dlib's 128-d encoder aligns a face with its 5-point shape predictor, trained on front and
three-quarter faces. A profile found by MTCNN still gets an encoding, but not a reliable one:
in the pianist's close-up of short_hamilton_clip.mp4 (frames 20-81, a face in 31 of them)
MTCNN's boxes encoded and matched against lin-manuel-miranda.png and alex-lacamoire.png
(tolerance 0.6, margin 0.05) named him rightly 6 times, left him unknown 24 times, and named
him Lin-Manuel Miranda once (frame 30, 0.574 against 0.627). A profile is a face of the
frame (someone is there) that should stay unnamed.

The rule reads the eyes and the nose tip (the first three landmarks of MTCNN and BlazeFace):
measured on MTCNN's landmarks and find's boxes, the 55 johns crops (front and three-quarter)
have the nose at most 0.19 eye distances from the eyes' midpoint and eyes at least 0.45 of
the box's width apart; the pianist's profile frames 20-45 have the nose 0.49-1.23 eye
distances off and the eyes 0.16-0.33 of the width apart.
"""

from __future__ import annotations

from handlers.face_candidates import FaceCandidate

NOSE_OFF_CENTRE = 0.4  # more eye distances than this between the nose and the eyes' midpoint
EYES_ACROSS_BOX = 0.35  # eyes closer together than this fraction of the box's width


def turned_away(candidate: FaceCandidate) -> bool:
    """True for a face seen from the side; False when the detector gave no landmarks (dlib's
    HOG and CNN), which this cannot judge."""
    if len(candidate.landmarks) < 3:
        return False
    (left_x, _), (right_x, _), (nose_x, _) = candidate.landmarks[:3]
    eyes = right_x - left_x
    if eyes < EYES_ACROSS_BOX * candidate.box.width:
        return True
    return abs(nose_x - (left_x + right_x) / 2) > NOSE_OFF_CENTRE * eyes
