"""One-way layers: the pure modules import neither cv2 nor mediapipe; only valgus.pose imports
mediapipe. Checked twice: statically (every import statement, also inside functions) and
dynamically (importing the pure modules in a fresh interpreter loads neither package)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "valgus"
PURE = ["geometry", "metrics", "smoothing", "reps", "scoring", "config", "types", "landmarks"]


def imported_roots(path: Path) -> set[str]:
    """Top-level package names imported anywhere in a module (including function bodies)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                roots.add(arg.value.split(".")[0])
    return roots


def test_import_parser_sees_nested_imports(tmp_path) -> None:
    p = tmp_path / "m.py"
    p.write_text("import os\ndef f():\n    import cv2\n    from mediapipe.tasks import x\n")
    assert imported_roots(p) == {"os", "cv2", "mediapipe"}


@pytest.mark.parametrize("name", PURE)
def test_pure_modules_import_no_cv2_or_mediapipe(name) -> None:
    roots = imported_roots(PKG / f"{name}.py")
    assert not roots & {"cv2", "mediapipe"}, f"valgus/{name}.py imports {sorted(roots & {'cv2', 'mediapipe'})}"


def test_only_the_pose_adapter_imports_mediapipe() -> None:
    users = sorted(
        str(p.relative_to(PKG.parent)) for p in PKG.rglob("*.py") if "mediapipe" in imported_roots(p)
    )
    assert users == ["valgus/pose.py"]


def test_pure_modules_load_neither_package_at_runtime() -> None:
    code = (
        "import sys\n"
        + "".join(f"import valgus.{m}\n" for m in PURE)
        + "bad = sorted(m for m in ('cv2', 'mediapipe') if m in sys.modules)\n"
        + "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "", f"importing the pure modules loaded: {out.stdout.strip()}"
