"""``segbench synth``: write the shapes world to disk in the layouts the evaluators read.

Layout under OUT (one file per image, named ``shapes_00000`` ...):

- ``images/NAME.png``: RGB images.
- ``semantic/gt/NAME.png``, ``semantic/pred/NAME.png``: 8-bit label maps (255 = void border in
  the ground truth), ``semantic/classes.txt``: one class name per line (line i = class i).

Further task writers (instance COCO JSON, COCO-panoptic PNG+JSON) register in ``TASK_WRITERS``
and are fed the same scenes.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from segbench.datasets import synthetic as sx
from segbench.errors import InputError
from segbench.options import parse_pair


@dataclass
class SynthItem:
    """One generated scene with its rendering and its perturbed prediction."""

    index: int
    name: str
    scene: sx.Scene
    rendered: sx.Rendered
    pred_scene: sx.Scene
    pred_rendered: sx.Rendered


@dataclass
class SynthConfig:
    out: Path
    images: int
    height: int
    width: int
    classes: int
    seed: int
    quality: float = 0.8


class TaskWriter:
    """Writes one task's files: ``begin`` once, ``add`` per item, ``finish`` once."""

    task = ""

    def __init__(self, config: SynthConfig):
        self.config = config

    def begin(self) -> None:  # pragma: no cover - trivial default
        pass

    def add(self, item: SynthItem) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        pass


TASK_WRITERS: dict[str, Callable[[SynthConfig], TaskWriter]] = {}


def task_writer(task: str):
    def deco(cls):
        cls.task = task
        TASK_WRITERS[task] = cls
        return cls

    return deco


def save_png(path: Path, array: np.ndarray) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, optimize=False, compress_level=1)


@task_writer("semantic")
class SemanticWriter(TaskWriter):
    def begin(self) -> None:
        root = self.config.out / "semantic"
        (root / "gt").mkdir(parents=True, exist_ok=True)
        (root / "pred").mkdir(parents=True, exist_ok=True)
        names = [c.name for c in sx.shapes_classes(self.config.classes)]
        (root / "classes.txt").write_text("\n".join(names) + "\n")

    def add(self, item: SynthItem) -> None:
        root = self.config.out / "semantic"
        save_png(root / "gt" / f"{item.name}.png", sx.semantic_ground_truth(item.rendered))
        save_png(root / "pred" / f"{item.name}.png", item.pred_rendered.semantic)


def parse_size(text: str) -> tuple[int, int]:
    """``"HxW"`` -> (H, W), each at least 8 pixels."""
    return parse_pair(text, "--size", "HxW", "256x320", minimum=8)


def synth_item(config: SynthConfig, index: int) -> SynthItem:
    scene = sx.make_scene(config.seed, index, config.height, config.width, config.classes)
    pred = sx.perturb_scene(scene, config.seed, index, config.quality)
    return SynthItem(index, f"shapes_{index:05d}", scene, sx.render(scene), pred, sx.render(pred))


MAX_PIXELS = 2**28  # per image: larger scenes would need tens of GB of memory to render


def _check_config(config: SynthConfig, tasks: tuple[str, ...]) -> None:
    """Validate every option (one-line InputError) before anything is created."""
    if config.images < 1:
        raise InputError(f"--images {config.images}: expected at least 1")
    if config.classes < 2 or config.classes > 255:
        raise InputError(f"--classes {config.classes}: expected 2..255")
    if not 0 < config.quality <= 1:
        raise InputError(f"--quality {config.quality}: expected a value in (0, 1]")
    if config.seed < 0:
        raise InputError(f"--seed {config.seed}: expected a non-negative integer")
    if config.height * config.width > MAX_PIXELS:
        raise InputError(f"--size {config.height}x{config.width}: expected at most {MAX_PIXELS} pixels per image")
    for t in tasks:
        if t not in TASK_WRITERS:
            raise InputError(f"unknown synth task {t!r}; expected one of {', '.join(TASK_WRITERS)}")


MARKER = ".segbench-synth"  # written into every task folder; only such folders are ever replaced


def _check_out(out: Path, tasks: tuple[str, ...], overwrite: bool = False) -> list[Path]:
    """OUT must be a folder (or creatable as one) whose task subfolders are absent or empty.

    Refusing a non-empty task folder keeps an earlier, larger run's scenes from staying next to
    the new ones (the evaluators read whole folders). With ``overwrite`` a task folder that an
    earlier synth run wrote (it holds the marker file) is returned for removal instead; any other
    non-empty folder is still refused, so user data is never deleted."""
    if os.path.lexists(out) and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder; expected an output folder for the synthetic scenes")
    parent = next((p for p in out.parents if os.path.lexists(p)), Path("."))
    if not parent.is_dir():
        raise InputError(f"{out}: {parent} is not a folder; expected an output folder for the synthetic scenes")
    stale = []
    for t in tasks:
        sub = out / t
        if not os.path.lexists(sub) or (sub.is_dir() and not sub.is_symlink() and not any(sub.iterdir())):
            continue
        if overwrite and sub.is_dir() and not sub.is_symlink() and (sub / MARKER).is_file():
            stale.append(sub)
            continue
        hint = ("it was not written by segbench synth, so --overwrite leaves it alone" if overwrite
                else "pass --overwrite to replace an earlier synth run")
        raise InputError(f"{sub}: already exists and is not empty; expected a new or empty folder "
                         f"({hint}, or choose another output folder)")
    return stale


def write_synthetic(config: SynthConfig, tasks: tuple[str, ...] | None = None,
                    progress: Callable[[], None] | None = None, overwrite: bool = False) -> list[str]:
    """Generate ``config.images`` scenes and write them for ``tasks`` (default: all writers).

    All options and the output folder are checked first (see :func:`_check_out`), so a bad value
    leaves nothing behind; an OS error while writing is a one-line InputError naming the path.
    """
    tasks = tuple(TASK_WRITERS) if tasks is None else tasks
    _check_config(config, tasks)
    out = Path(config.out)
    stale = _check_out(out, tasks, overwrite)
    try:
        for sub in stale:
            shutil.rmtree(sub)
        out.mkdir(parents=True, exist_ok=True)
        writers = [TASK_WRITERS[t](config) for t in tasks]
        for w in writers:
            w.begin()
            (out / w.task).mkdir(parents=True, exist_ok=True)
            (out / w.task / MARKER).write_text(f"written by segbench synth, seed {config.seed}\n")
        (out / "images").mkdir(exist_ok=True)
        names = []
        for index in range(config.images):
            item = synth_item(config, index)
            save_png(out / "images" / f"{item.name}.png", sx.render_image(item.scene, item.rendered, config.seed, index))
            for w in writers:
                w.add(item)
            names.append(item.name)
            if progress:
                progress()
        for w in writers:
            w.finish()
    except OSError as exc:
        where = exc.filename or out
        raise InputError(f"{where}: cannot write synthetic scenes ({exc.strerror or exc})") from None
    return names


def default_out() -> Path:
    return Path(os.environ.get("SEGBENCH_DEMO_DIR", "segbench-demo"))


from segbench.datasets import synth_instance  # noqa: E402,F401  (registers the "instance" writer)

from segbench.datasets import synth_panoptic  # noqa: E402,F401  (registers the "panoptic" writer)
