"""Build hook: copy the bundled pose model into the package for regular (non-editable) installs.

Editable/source installs read ``models/`` in place (see ``valgus/models.py``); wheels and
``pip install .`` carry it as ``valgus/_models/pose_landmarker_full.task``.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

MODEL = Path("models") / "pose_landmarker_full.task"


class BuildPyWithModel(build_py):
    def run(self) -> None:
        super().run()
        if not self.editable_mode:  # editable installs read models/ in place
            target = Path(self.build_lib) / "valgus" / "_models" / MODEL.name
            self.mkpath(str(target.parent))
            self.copy_file(str(MODEL), str(target))


setup(cmdclass={"build_py": BuildPyWithModel})
