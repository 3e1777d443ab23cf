"""The hobby squat checker's loop, as most of them run: OpenCV reads the video, the legacy
MediaPipe Pose solution (``mp.solutions.pose``, the full model) finds the person, a knee angle is
computed per frame, and with ``--video`` the landmarks are drawn with MediaPipe's drawing helper
and every frame is written with ``cv2.VideoWriter`` (mp4v, full size).

Standalone on purpose (it never imports valgus): it runs under an interpreter that has the
legacy packages, which cannot share an environment with valgus's MediaPipe::

    python3 -m venv legacy-env && legacy-env/bin/pip install mediapipe==0.10.21 opencv-python==4.11.0.86 "numpy<2"
    legacy-env/bin/python tools/valgus_tools/bench/legacy_loop.py CLIP [--video OUT.mp4]

Prints one JSON line: frames, frames with a person, seconds.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time


def knee_angle(lm, hip: int, knee: int, ankle: int) -> float:
    ax, ay = lm[hip].x - lm[knee].x, lm[hip].y - lm[knee].y
    bx, by = lm[ankle].x - lm[knee].x, lm[ankle].y - lm[knee].y
    return math.degrees(math.atan2(abs(ax * by - ay * bx), ax * bx + ay * by))


def main() -> int:
    t_proc = time.perf_counter()
    ap = argparse.ArgumentParser()
    ap.add_argument("clip")
    ap.add_argument("--video", help="also draw the landmarks and write this video (mp4v)")
    a = ap.parse_args()
    os.environ.setdefault("GLOG_minloglevel", "2")
    import cv2
    import mediapipe as mp

    mp_pose = mp.solutions.pose
    pose = mp_pose.Pose(static_image_mode=False, model_complexity=1)
    cap = cv2.VideoCapture(a.clip)
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    writer = None
    n = people = 0
    angles = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        res = pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        if res.pose_landmarks:
            people += 1
            lm = res.pose_landmarks.landmark
            angles.append((knee_angle(lm, 23, 25, 27), knee_angle(lm, 24, 26, 28)))
        if a.video:
            if res.pose_landmarks:
                mp.solutions.drawing_utils.draw_landmarks(frame, res.pose_landmarks, mp_pose.POSE_CONNECTIONS)
            if writer is None:
                h, w = frame.shape[:2]
                writer = cv2.VideoWriter(a.video, cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
            writer.write(frame)
        n += 1
    cap.release()
    if writer is not None:
        writer.release()
    pose.close()
    print(json.dumps({"frames": n, "frames_with_person": people, "process_s": time.perf_counter() - t_proc,
                      "mediapipe": mp.__version__, "opencv": cv2.__version__}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
