"""One-way layers between the rooms of the house, checked on every import statement (also inside
functions), and at run time in a fresh interpreter.

base (config, errors, types, landmarks) < kinematics, pose < temporal, io < scoring < causal
< engine < present < batch < cli. Only valgus/pose.py imports mediapipe; cv2 only in io, present and
pose; GUI calls only in io/display.py.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "valgus"

#: room -> rank; a module may import valgus modules of lower rank, or of its own room.
RANK = {
    "config": 0, "errors": 0, "types": 0, "landmarks": 0, "_model": 0,
    "kinematics": 1, "pose": 1,
    "temporal": 2, "io": 2,
    "scoring": 3,
    "causal": 4, "segments": 4,
    "engine": 5,
    "present": 6,
    "batch": 7,
    "cli": 8, "__main__": 9,
}
#: rooms that must not load cv2, mediapipe or av (pure NumPy)
PURE_ROOMS = ("kinematics", "temporal", "scoring", "config", "types", "landmarks", "errors", "causal")


def room_of(path: Path) -> str:
    rel = path.relative_to(PKG)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imports(path: Path) -> set[str]:
    """Dotted module names imported anywhere in a module (including function bodies)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            if node.module == "valgus":
                names.update(f"valgus.{a.name}" for a in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                names.add(arg.value)
    return names


MODULES = sorted(p for p in PKG.rglob("*.py") if p.name != "__init__.py" or p.parent != PKG)


def test_import_parser_sees_nested_imports(tmp_path) -> None:
    p = tmp_path / "m.py"
    p.write_text("import os\ndef f():\n    import cv2\n    from mediapipe.tasks import x\n")
    assert {n.split(".")[0] for n in imports(p)} == {"os", "cv2", "mediapipe"}


def test_every_room_has_a_rank() -> None:
    assert {room_of(p) for p in MODULES} <= set(RANK)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PKG)))
def test_imports_go_down_the_house_only(path: Path) -> None:
    room = room_of(path)
    bad = []
    for name in imports(path):
        parts = name.split(".")
        if parts[0] != "valgus" or len(parts) < 2:
            continue
        target = parts[1]
        if target == "__version__":
            continue
        if target != room and (RANK[target] > RANK[room] or (RANK[target] == RANK[room] and RANK[room] > 0)):
            bad.append(name)
    assert not bad, f"valgus/{path.relative_to(PKG)} ({room}) imports upward: {sorted(bad)}"


@pytest.mark.parametrize("path", [p for p in MODULES if room_of(p) in PURE_ROOMS], ids=lambda p: str(p.relative_to(PKG)))
def test_pure_rooms_import_no_cv2_mediapipe_or_av(path: Path) -> None:
    roots = {n.split(".")[0] for n in imports(path)}
    assert not roots & {"cv2", "mediapipe", "av"}, f"{path.name} imports {sorted(roots & {'cv2', 'mediapipe', 'av'})}"


def test_only_the_pose_adapter_imports_mediapipe() -> None:
    users = sorted(str(p.relative_to(PKG.parent)) for p in MODULES
                   if "mediapipe" in {n.split(".")[0] for n in imports(p)})
    assert users == ["valgus/pose.py"]


def test_gui_calls_only_in_the_display() -> None:
    users = sorted(str(p.relative_to(PKG.parent)) for p in MODULES
                   if any(f"cv2.{f}" in p.read_text() for f in ("imshow", "waitKey", "namedWindow")))
    assert users == ["valgus/io/display.py"]


def test_pure_rooms_load_neither_package_at_runtime() -> None:
    mods = [".".join(("valgus", *p.relative_to(PKG).with_suffix("").parts)) for p in MODULES
            if room_of(p) in PURE_ROOMS]
    code = ("import sys\n" + "".join(f"import {m}\n" for m in mods)
            + "print(','.join(sorted(m for m in ('cv2', 'mediapipe', 'av') if m in sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "", f"importing the pure rooms loaded: {out.stdout.strip()}"
