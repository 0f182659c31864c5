"""Model registry: architectures of the segmentation literature as plain builder functions.

A model is a function ``build(num_classes, **preset_options) -> torch.nn.Module`` registered with
:func:`register_model` together with its config row (task, input size, normalisation, default
number of classes, output stride and the ``lite`` / ``full`` presets). Third-party packages add
models through the entry-point group ``segbench.models`` (an entry point may point at a module
that calls ``@register_model`` on import).

Conventions of the built models:

- ``semantic`` models take a float ``(N, 3, H, W)`` batch normalised with the spec's
  ``mean``/``std`` (on 0..1 pixel values) and return logits ``(N, C, H, W)`` of the input's size.
- ``instance`` models follow torchvision's detection API: ``model(images, targets)`` returns a
  loss dict in training mode and a list of ``{boxes, labels, scores, masks}`` in eval mode;
  images are un-normalised 0..1 tensors (the model normalises), labels are 1-based
  (0 = background).
- ``panoptic`` models return a loss dict in training and, in eval mode, a list of
  ``{"instances": ..., "sem_seg": (S, H, W) logits}`` that :func:`segbench.models.panoptic_fpn.merge_panoptic`
  combines with the Panoptic FPN heuristic.

Nothing is ever downloaded: torchvision builders get ``weights=None, weights_backbone=None``;
local weight files are loaded with :func:`load_weights`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from segbench.errors import InputError
from segbench.registry import Registry

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
PRESETS = ("lite", "full")


@dataclass
class ModelSpec:
    """One row of the model table. ``presets`` maps preset name -> builder keyword options;
    ``output_stride`` maps preset name -> stride of the coarsest score map the output is
    upsampled from (32 for FCN-32s, 8 for FCN-8s, 1 for full-resolution decoders)."""

    name: str
    build: Callable[..., Any]
    task: str = "semantic"
    paper: str = ""
    source: str = "native"
    input_size: tuple[int, int] = (512, 512)
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    default_classes: int = 21
    output_stride: dict[str, int] = field(default_factory=dict)
    presets: dict[str, dict] = field(default_factory=lambda: {"lite": {}, "full": {}})
    bn_pooling: bool = False  # has a batch-norm branch on globally pooled features (batch size >= 2)
    normalizes_input: bool = False  # the model normalises 0..1 input itself (torchvision detection)
    head_keys: tuple[str, ...] = ()  # state-dict prefixes of class-count-dependent layers

    def preset_options(self, preset: str) -> dict:
        if preset not in self.presets:
            raise InputError(f"--preset {preset!r}: model {self.name!r} has presets {', '.join(self.presets)}")
        return dict(self.presets[preset])


MODELS: Registry[ModelSpec] = Registry("model", "segbench.models")


def register_model(name: str, **spec: Any):
    """Decorator: ``@register_model("unet", task="semantic", presets={...})`` on a builder."""

    def deco(fn):
        MODELS.add(name, ModelSpec(name=name, build=fn, **spec))
        return fn

    return deco


_BUILTIN = ("fcn", "segnet", "unet", "pspnet", "deeplab", "tv_models", "maskrcnn", "panoptic_fpn")


def _load_builtin_models() -> None:
    import importlib

    for mod in _BUILTIN:
        importlib.import_module(f"segbench.models.{mod}")


def model_names() -> list[str]:
    _load_builtin_models()
    return MODELS.names()


def get_model_spec(name: str) -> ModelSpec:
    _load_builtin_models()
    spec = MODELS.get(name)
    if not isinstance(spec, ModelSpec):  # an entry point that resolved to a bare builder
        spec = ModelSpec(name=name, build=spec)
    return spec


def build_model(name: str, num_classes: int | None = None, preset: str = "lite", **overrides: Any):
    """Instantiate model ``name`` with ``num_classes`` outputs (default: the spec's)."""
    spec = get_model_spec(name)
    options = spec.preset_options(preset)
    options.update(overrides)
    n = spec.default_classes if num_classes is None else int(num_classes)
    if n < 1:
        raise InputError(f"model {name!r}: num_classes {n}: expected at least 1")
    model = spec.build(n, **options)
    model.segbench_name = name
    model.segbench_preset = preset
    return model


def count_parameters(model) -> int:
    return int(sum(p.numel() for p in model.parameters()))


def load_weights(model, path: str | Path, name: str, head_keys: tuple[str, ...] = ()) -> list[str]:
    """Load a local weight file into ``model`` (registered as ``name``).

    Accepts a segbench checkpoint/result of ``segbench run`` (``{"model_name", "model_state"}``;
    its model name must match) or a plain state dict such as a torchvision weight file (keys may
    carry a ``model.``/``module.`` prefix). Every key must fit; only keys under ``head_keys``
    (class-count-dependent classifier layers) may differ in shape and are then skipped — their
    names are returned. Anything else is a one-line :class:`InputError` naming the file.
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise InputError(f"--weights {path}: no such file")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a bad file
        raise InputError(f"--weights {path}: not a torch weight file ({type(exc).__name__}: {str(exc)[:80]})") from None
    if isinstance(obj, dict) and "model_state" in obj:
        other = obj.get("model_name")
        if other != name:
            raise InputError(f"--weights {path}: checkpoint is for model {other!r}, not {name!r}; "
                             f"expected weights of the same architecture")
        state = obj["model_state"]
    elif isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        state = obj["state_dict"]
    elif isinstance(obj, dict):
        state = obj
    else:
        raise InputError(f"--weights {path}: expected a state dict, got {type(obj).__name__}")
    if not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise InputError(f"--weights {path}: expected a state dict of tensors")
    target = model.state_dict()
    state = _strip_prefix(state, target)
    missing = [k for k in target if k not in state]
    unexpected = [k for k in state if k not in target]
    wrong = [k for k in state if k in target and state[k].shape != target[k].shape]
    skipped = [k for k in wrong if any(k.startswith(h) for h in head_keys)]
    wrong = [k for k in wrong if k not in skipped]
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing keys (e.g. {missing[0]!r})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected keys (e.g. {unexpected[0]!r})")
        if wrong:
            k = wrong[0]
            parts.append(f"{len(wrong)} shape mismatches (e.g. {k!r}: {tuple(state[k].shape)} vs {tuple(target[k].shape)})")
        raise InputError(f"--weights {path}: does not fit model {name!r}: {'; '.join(parts)}; "
                         f"expected a weight file of the same architecture")
    for k in skipped:
        state[k] = target[k]
    model.load_state_dict(state)
    return skipped


def _strip_prefix(state: dict, target: dict) -> dict:
    """Map keys of common wrappers onto ``target``'s key names (``module.``, ``model.``)."""
    if all(k in target for k in state):
        return dict(state)
    for prefix in ("module.", "model.", "net."):
        cand = {(k[len(prefix):] if k.startswith(prefix) else k): v for k, v in state.items()}
        if all(k in target for k in cand):
            return cand
        cand = {prefix + k: v for k, v in state.items()}
        if all(k in target for k in cand):
            return cand
    return dict(state)
