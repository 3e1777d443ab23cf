"""The BlazePose 33-landmark skeleton, described as data (no magic indices elsewhere).

Names follow MediaPipe's PoseLandmark enum. ``LEFT``/``RIGHT`` mean the *subject's* own side.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Literal

Side = Literal["left", "right"]
SIDES: tuple[Side, Side] = ("left", "right")


class LM(IntEnum):
    """BlazePose landmark indices (MediaPipe ``PoseLandmark``)."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


N_LANDMARKS = 33


def _partner(lm: LM) -> LM:
    name = lm.name
    if name.startswith("LEFT_"):
        return LM["RIGHT_" + name[5:]]
    if name.startswith("RIGHT_"):
        return LM["LEFT_" + name[6:]]
    if name == "MOUTH_LEFT":
        return LM.MOUTH_RIGHT
    if name == "MOUTH_RIGHT":
        return LM.MOUTH_LEFT
    return lm


#: Index permutation that swaps every left landmark with its right partner (for mirrored input).
MIRROR_PERMUTATION: tuple[int, ...] = tuple(int(_partner(lm)) for lm in LM)


def leg(side: Side) -> dict[str, int]:
    """Landmark indices of one leg (the subject's ``side``) and of the opposite hip."""
    s = side.upper()
    o = "RIGHT" if side == "left" else "LEFT"
    return {
        "hip": int(LM[f"{s}_HIP"]),
        "knee": int(LM[f"{s}_KNEE"]),
        "ankle": int(LM[f"{s}_ANKLE"]),
        "heel": int(LM[f"{s}_HEEL"]),
        "toe": int(LM[f"{s}_FOOT_INDEX"]),
        "shoulder": int(LM[f"{s}_SHOULDER"]),
        "other_hip": int(LM[f"{o}_HIP"]),
    }


#: Landmarks the lower-limb metrics depend on (used for per-leg visibility).
LOWER_BODY = (
    LM.LEFT_HIP, LM.RIGHT_HIP, LM.LEFT_KNEE, LM.RIGHT_KNEE, LM.LEFT_ANKLE, LM.RIGHT_ANKLE,
    LM.LEFT_HEEL, LM.RIGHT_HEEL, LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX,
)

#: Bones drawn by the annotator.
SKELETON_EDGES: tuple[tuple[LM, LM], ...] = (
    (LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER), (LM.LEFT_HIP, LM.RIGHT_HIP),
    (LM.LEFT_SHOULDER, LM.LEFT_HIP), (LM.RIGHT_SHOULDER, LM.RIGHT_HIP),
    (LM.LEFT_SHOULDER, LM.LEFT_ELBOW), (LM.LEFT_ELBOW, LM.LEFT_WRIST),
    (LM.RIGHT_SHOULDER, LM.RIGHT_ELBOW), (LM.RIGHT_ELBOW, LM.RIGHT_WRIST),
    (LM.LEFT_HIP, LM.LEFT_KNEE), (LM.LEFT_KNEE, LM.LEFT_ANKLE),
    (LM.RIGHT_HIP, LM.RIGHT_KNEE), (LM.RIGHT_KNEE, LM.RIGHT_ANKLE),
    (LM.LEFT_ANKLE, LM.LEFT_HEEL), (LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX),
    (LM.LEFT_ANKLE, LM.LEFT_FOOT_INDEX),
    (LM.RIGHT_ANKLE, LM.RIGHT_HEEL), (LM.RIGHT_HEEL, LM.RIGHT_FOOT_INDEX),
    (LM.RIGHT_ANKLE, LM.RIGHT_FOOT_INDEX),
)
