"""``segbench run``: train a registry model on a dataset adapter, then evaluate it.

Recipe (the papers' common defaults): SGD with momentum 0.9 and weight decay 5e-4, "poly"
learning rate ``lr * (1 - it / total_iters) ** 0.9`` updated every iteration; pixel-wise
cross-entropy with the dataset's ignore index for semantic models, Mask R-CNN's losses
(RPN objectness + box, classifier, box regression, mask BCE) for instance models, plus the
semantic cross-entropy for Panoptic FPN. Mixed precision (autocast + GradScaler) on CUDA.

Reproducibility: ``torch.manual_seed(seed)`` before building the model; deterministic
algorithms on CPU; the shuffling order of epoch ``e`` comes from a generator seeded with
``(seed, e)`` and augmentations from ``(seed, e, index)`` (see ``torch_views``). After each epoch
``RUN_DIR/checkpoint.pt`` is written atomically with the model, optimiser, scaler and torch RNG
state, so ``--resume`` continues exactly where an uninterrupted run would be.

At the end the model is evaluated on the validation split at the ground truth's resolution:
semantic with segbench's confusion kernel and :func:`segbench.api.semantic_record`; instance
and panoptic through :mod:`segbench.engine.run_eval`. The record carries the run metadata in
``meta`` (preset, epochs, parameters, seconds, inference seconds per image, ...).
"""

from __future__ import annotations

import io
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from segbench.errors import InputError
from segbench.options import parse_pair

CHECKPOINT = "checkpoint.pt"
RESULT = "result.json"

# Defaults per (task, preset): epochs, batch size, learning rate.
DEFAULTS = {
    ("semantic", "lite"): (4, 8, 0.05),
    ("semantic", "full"): (50, 8, 0.01),
    ("instance", "lite"): (6, 4, 0.02),
    ("instance", "full"): (26, 2, 0.02),
    ("panoptic", "lite"): (6, 4, 0.02),
    ("panoptic", "full"): (26, 2, 0.02),
}
# Lite presets train for at least this many iterations (small datasets get more epochs).
MIN_ITERS = {"lite": 128, "full": 0}
MODEL_DEFAULTS = {  # models whose lite preset trains better with other settings
    "unet": {"lr": 0.05},
}


@dataclass
class RunConfig:
    model: str
    dataset: str
    preset: str = "lite"
    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    size: tuple[int, int] | None = None
    device: str = "auto"
    seed: int = 0
    out: Path | None = None
    resume: bool = False
    weights: Path | None = None
    root: Path | None = None
    dataset_options: dict = field(default_factory=dict)
    quiet: bool = False


def parse_size(text: str | None) -> tuple[int, int] | None:
    """``"HxW"`` -> (H, W), each at least 16 pixels; None stays None (the dataset's size)."""
    return None if text is None else parse_pair(text, "--size", "HxW", "96x96", minimum=16)


def resolve_device(device: str):
    from segbench.models.table import resolve_device as _resolve

    return _resolve(device)


@dataclass
class Plan:
    """Everything validated before anything is written."""

    config: RunConfig
    spec: object
    adapter: object
    task: str
    epochs: int
    batch_size: int
    lr: float
    out: Path
    device: object
    num_classes: int
    size: tuple[int, int] | None
    checkpoint: dict | None


def plan_run(config: RunConfig) -> Plan:
    from segbench.datasets.base import get_dataset
    from segbench.models import get_model_spec

    spec = get_model_spec(config.model)
    if config.preset not in spec.presets:
        raise InputError(f"--preset {config.preset!r}: model {config.model!r} has presets {', '.join(spec.presets)}")
    adapter = get_dataset(config.dataset, **config.dataset_options)
    task = spec.task
    if not adapter.supports(task):
        article = "an" if task[0] in "aeiou" else "a"
        raise InputError(f"model {config.model!r} is {article} {task} model but dataset {config.dataset!r} has no {task} "
                         f"annotations (tasks: {', '.join(adapter.tasks)}); expected a dataset with {task} targets")
    d_epochs, d_bs, d_lr = DEFAULTS[(task, config.preset)]
    d_lr = MODEL_DEFAULTS.get(config.model, {}).get("lr", d_lr) if config.preset == "lite" else d_lr
    if config.epochs is None:
        n_train = len(adapter.samples(config.root, "train"))
        bs_ = d_bs if config.batch_size is None else max(1, config.batch_size)
        per_epoch = max(1, n_train // bs_)
        epochs = max(d_epochs, math.ceil(MIN_ITERS[config.preset] / per_epoch)) if n_train else d_epochs
    else:
        epochs = config.epochs
    bs = d_bs if config.batch_size is None else config.batch_size
    lr = d_lr if config.lr is None else config.lr
    if epochs < 0:
        raise InputError(f"--epochs {epochs}: expected 0 or more")
    if bs < 1:
        raise InputError(f"--batch-size {bs}: expected at least 1")
    if not (lr > 0 and math.isfinite(lr)):
        raise InputError(f"--lr {lr}: expected a positive learning rate")
    if bs == 1 and spec.bn_pooling and epochs > 0:
        raise InputError(f"--batch-size 1: model {config.model!r} has batch-norm on globally pooled features "
                         f"(one value per channel at batch size 1); expected --batch-size >= 2")
    device = resolve_device(config.device)
    out = Path(config.out) if config.out else Path("runs") / f"{config.model}-{config.dataset}-{config.preset}"
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder")
    checkpoint = None
    if config.resume:
        ckpt = out / CHECKPOINT
        if not ckpt.is_file():
            raise InputError(f"--resume: {ckpt}: no checkpoint to resume from; expected a run folder of an "
                             f"earlier 'segbench run' (run without --resume to start)")
        checkpoint = load_checkpoint(ckpt)
        for key, value in (("model_name", config.model), ("dataset", config.dataset), ("preset", config.preset)):
            if checkpoint.get(key) != value:
                raise InputError(f"--resume: {ckpt} was written for {key.split('_')[0]} {checkpoint.get(key)!r}, "
                                 f"not {value!r}; expected the same model, dataset and preset")
    if config.weights is not None and not Path(config.weights).is_file():
        raise InputError(f"--weights {config.weights}: no such file")
    num_classes = adapter.num_classes
    return Plan(config, spec, adapter, task, epochs, bs, lr, out, device, num_classes, config.size, checkpoint)


def load_checkpoint(path: Path) -> dict:
    import torch

    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"{path}: cannot read checkpoint ({type(exc).__name__})") from None
    if not isinstance(ckpt, dict) or "model_state" not in ckpt:
        raise InputError(f"{path}: not a segbench checkpoint (no model_state)")
    return ckpt


def save_checkpoint(path: Path, payload: dict) -> None:
    import torch

    from segbench.fileio import atomic_write_bytes

    buf = io.BytesIO()
    torch.save(payload, buf)
    atomic_write_bytes(path, buf.getvalue())


def build_for(plan: Plan):
    from segbench.models import build_model

    kw = {}
    if plan.task in ("instance", "panoptic") and plan.config.preset == "lite":
        h, w = plan.size or _native_size(plan)
        kw = {"min_size": min(h, w), "max_size": max(h, w)}
    if plan.task == "instance":
        return build_model(plan.config.model, len([c for c in plan.adapter.classes() if c.isthing]),
                           plan.config.preset, **kw)
    if plan.task == "panoptic":
        kw["num_things"] = len([c for c in plan.adapter.classes() if c.isthing])
    return build_model(plan.config.model, plan.num_classes, plan.config.preset, **kw)


def _native_size(plan: Plan) -> tuple[int, int]:
    s = plan.adapter.samples(plan.config.root, "val")[:1]
    if not s:
        return (512, 512)
    return tuple(plan.adapter.load_image(s[0]).shape[:2])


def _views(plan: Plan):
    from segbench.datasets.torch_views import AdapterView

    spec = plan.spec
    mean = None if spec.normalizes_input else spec.mean
    std = None if spec.normalizes_input else spec.std
    common = dict(size=plan.size, mean=mean, std=std, seed=plan.config.seed)
    train = AdapterView(plan.adapter, plan.config.root, "train", plan.task, train=True, **common)
    val = AdapterView(plan.adapter, plan.config.root, "val", plan.task, train=False, **common)
    return train, val


def _loss(model, task: str, images, targets, ignore: int):
    import torch.nn.functional as F

    if task == "semantic":
        logits = model(images)
        loss = F.cross_entropy(logits.float(), targets, ignore_index=ignore)
        return loss, {"loss": loss}
    losses = model(images, targets)
    return sum(losses.values()), losses


def _to(images, targets, device):
    if isinstance(images, list):
        return ([im.to(device) for im in images], [{k: v.to(device) for k, v in t.items()} for t in targets])
    return images.to(device, non_blocking=True), targets.to(device, non_blocking=True)


def run(config: RunConfig, on_epoch: Callable[[dict], None] | None = None) -> dict:
    """Train and evaluate; returns the result record (also written to ``RUN_DIR/result.json``).

    Torch's global determinism flag is set for the run on CPU and restored afterwards."""
    import warnings

    import torch

    previous = torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled()
    try:
        with warnings.catch_warnings():
            # max_unpool2d (SegNet) has no "deterministic" flag but is deterministic on CPU for
            # non-overlapping pooling windows: each output position receives at most one value.
            warnings.filterwarnings("ignore", message=".*does not have a deterministic implementation.*")
            return _run(config, on_epoch)
    finally:
        torch.use_deterministic_algorithms(previous[0], warn_only=previous[1])


def _run(config: RunConfig, on_epoch: Callable[[dict], None] | None = None) -> dict:
    import torch
    from torch.utils.data import DataLoader

    from segbench.datasets.torch_views import collate
    from segbench.models import count_parameters, load_weights
    from segbench.record import write_record

    plan = plan_run(config)
    device = plan.device
    torch.manual_seed(config.seed)
    np.random.seed(config.seed % (2 ** 32))
    if device.type == "cpu":
        torch.use_deterministic_algorithms(True, warn_only=True)
    model = build_for(plan)
    if config.weights is not None and plan.checkpoint is None:
        load_weights(model, config.weights, config.model, plan.spec.head_keys)
    model.to(device)
    params = count_parameters(model)
    train_view, val_view = _views(plan)
    if plan.epochs > 0 and len(train_view) == 0:
        raise InputError(f"dataset {config.dataset!r}: the train split is empty")
    ignore = train_view.ignore
    drop_last = len(train_view) > plan.batch_size
    iters_per_epoch = (len(train_view) // plan.batch_size) if drop_last else 1
    total_iters = max(1, plan.epochs * iters_per_epoch)
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=plan.lr, momentum=0.9,
                          weight_decay=5e-4)
    use_amp = device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    start_epoch, history, train_seconds = 0, [], 0.0
    if plan.checkpoint is not None:
        ck = plan.checkpoint
        model.load_state_dict(ck["model_state"])
        opt.load_state_dict(ck["optim_state"])
        scaler.load_state_dict(ck["scaler_state"])
        torch.set_rng_state(ck["rng_state"])
        start_epoch, history, train_seconds = ck["epoch"], ck["history"], ck["train_seconds"]
        if start_epoch > plan.epochs:
            raise InputError(f"--resume: checkpoint has {start_epoch} epochs, more than --epochs {plan.epochs}")
    plan.out.mkdir(parents=True, exist_ok=True)
    progress = _Progress(plan.epochs, iters_per_epoch, config.quiet)
    it = start_epoch * iters_per_epoch
    with progress:
        for epoch in range(start_epoch, plan.epochs):
            t0 = time.perf_counter()
            model.train()
            train_view.set_epoch(epoch)
            gen = torch.Generator().manual_seed(config.seed * 1_000_003 + epoch)
            loader = DataLoader(train_view, batch_size=plan.batch_size, shuffle=True, generator=gen,
                                drop_last=drop_last, collate_fn=collate, num_workers=0)
            progress.start_epoch(epoch)
            loss_sum, seen = 0.0, 0
            for images, targets in loader:
                lr = plan.lr * (1 - min(it, total_iters - 1) / total_iters) ** 0.9
                for g in opt.param_groups:
                    g["lr"] = lr
                images, targets = _to(images, targets, device)
                with torch.autocast(device.type, dtype=torch.float16, enabled=use_amp):
                    loss, _ = _loss(model, plan.task, images, targets, ignore)
                if not torch.isfinite(loss):
                    raise InputError(f"training diverged at epoch {epoch + 1} (loss {loss.item()}); "
                                     f"expected a smaller --lr than {plan.lr}")
                opt.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
                it += 1
                n = len(images)
                loss_sum += float(loss.detach()) * n
                seen += n
                progress.step(loss_sum / seen, seen / max(time.perf_counter() - t0, 1e-9))
            seconds = time.perf_counter() - t0
            train_seconds += seconds
            entry = {"epoch": epoch + 1, "loss": loss_sum / max(seen, 1), "seconds": round(seconds, 3),
                     "images_per_second": round(seen / max(seconds, 1e-9), 2)}
            history.append(entry)
            save_checkpoint(plan.out / CHECKPOINT, {
                "model_name": config.model, "dataset": config.dataset, "preset": config.preset,
                "task": plan.task, "num_classes": plan.num_classes, "epoch": epoch + 1,
                "model_state": model.state_dict(), "optim_state": opt.state_dict(),
                "scaler_state": scaler.state_dict(), "rng_state": torch.get_rng_state(),
                "history": history, "train_seconds": train_seconds,
                "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()},
            })
            if on_epoch:
                on_epoch(entry)
    t_eval = time.perf_counter()
    metrics, per_class, infer, n_images, extra_rec = evaluate_model(model, plan, val_view)
    eval_seconds = time.perf_counter() - t_eval
    meta = {
        "preset": config.preset, "epochs": plan.epochs, "batch_size": plan.batch_size, "lr": plan.lr,
        "seed": config.seed, "device": str(device), "size": list(plan.size) if plan.size else None,
        "parameters": params, "train_seconds": round(train_seconds, 3), "eval_seconds": round(eval_seconds, 3),
        "inference_seconds_per_image": round(infer, 5), "history": history, "run_dir": str(plan.out),
        "evaluator": extra_rec.pop("evaluator", "segbench"),
    }
    record = _record(plan, metrics, per_class, n_images, train_seconds + eval_seconds, meta, extra_rec)
    write_record(plan.out / RESULT, record)
    return record


def _record(plan, metrics, per_class, n_images, seconds, meta, extra):
    from segbench.record import make_record

    cfg = plan.config
    if plan.task == "semantic":
        from segbench.api import semantic_record

        rec = semantic_record(extra.pop("stats"), class_names=plan.adapter.class_names(), dataset=cfg.dataset,
                              model=cfg.model, ignore_index=plan.adapter.ignore_index, meta=meta)
        rec["meta"]["seconds"] = round(seconds, 4)
        return rec
    return make_record(plan.task, metrics, per_class, dataset=cfg.dataset, model=cfg.model,
                       num_images=n_images, seconds=seconds, meta=meta)


def evaluate_model(model, plan: Plan, view):
    """Predict every validation sample at GT resolution and evaluate; returns
    ``(metrics, per_class, inference seconds per image, images, extra)``."""
    import torch
    import torch.nn.functional as F

    from segbench.engine.progress import make_progress

    model.eval()
    adapter = plan.adapter
    device = plan.device
    samples = view.samples
    infer_time = 0.0
    stats = None
    gts, preds = [], []
    if plan.task == "semantic":
        from segbench.engine.semantic import image_confusion
        from segbench.metrics.semantic import SemanticStats

        stats = SemanticStats(plan.num_classes)
    classes = adapter.classes()
    things = [c for c in classes if c.isthing]
    with torch.no_grad(), make_progress("Evaluating", len(samples), plan.config.quiet) as bar:
        for i, s in enumerate(samples):
            image = adapter.load_image(s)
            h, w = image.shape[:2]
            x = view.image_tensor(image).to(device)
            if device.type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            if plan.task == "semantic":
                logits = model(x[None])
                if tuple(logits.shape[-2:]) != (h, w):
                    logits = F.interpolate(logits, size=(h, w), mode="bilinear", align_corners=False)
                pred = logits.argmax(1)[0]
            else:
                out = model([x])[0]
            if device.type == "cuda":
                torch.cuda.synchronize()
            if i > 0 or len(samples) == 1:  # the first image warms up
                infer_time += time.perf_counter() - t0
            if plan.task == "semantic":
                gt = adapter.load_semantic(s)
                p = pred.cpu().numpy().astype(np.uint8 if plan.num_classes <= 255 else np.int32)
                g = gt if p.dtype == np.uint8 and gt.dtype == np.uint8 else gt.astype(np.int64)
                if p.dtype != np.uint8:
                    p = p.astype(np.int64)
                stats.add_image(s.name, image_confusion(g, p, plan.num_classes, adapter.ignore_index, s.name, s.name))
            elif plan.task == "instance":
                gts.append(adapter.load_instances(s))
                preds.append(_instances_numpy(out, (h, w), x.shape[-2:]))
            else:
                from segbench.models.panoptic_fpn import merge_panoptic

                inst = out["instances"]
                sem = out["sem_seg"]
                if tuple(sem.shape[-2:]) != (h, w):
                    sem = F.interpolate(sem[None], size=(h, w), mode="bilinear", align_corners=False)[0]
                    inst = _resize_instances(inst, (h, w))
                gts.append(adapter.load_panoptic(s))
                preds.append(merge_panoptic(inst, sem, [c.id for c in things], [c.id for c in classes if not c.isthing]))
            bar.advance()
    n = len(samples)
    per_image = infer_time / max(n - 1 if n > 1 else 1, 1)
    from segbench.engine import run_eval

    if plan.task == "semantic":
        return None, None, per_image, n, {"stats": stats}
    if plan.task == "instance":
        metrics, per_class = run_eval.evaluate_instances(gts, preds, things)
        return metrics, per_class, per_image, n, {"evaluator": "segbench eval instance (pycocotools semantics)"}
    metrics, per_class = run_eval.evaluate_panoptic(gts, preds, classes, [s.name for s in samples])
    return metrics, per_class, per_image, n, {"evaluator": "segbench eval panoptic (panopticapi semantics)"}


def _resize_instances(inst: dict, size) -> dict:
    import torch.nn.functional as F

    out = dict(inst)
    if len(inst["masks"]):
        out["masks"] = F.interpolate(inst["masks"].float(), size=size, mode="bilinear", align_corners=False)
    else:
        out["masks"] = inst["masks"].new_zeros((0, 1, *size))
    return out


def _instances_numpy(out: dict, size, in_size) -> dict:
    if tuple(in_size) != tuple(size):
        out = _resize_instances(out, size)
    masks = out["masks"].detach().cpu().numpy()
    masks = masks[:, 0] > 0.5 if len(masks) else np.zeros((0, *size), bool)
    return {"masks": masks, "labels": out["labels"].cpu().numpy() - 1, "scores": out["scores"].cpu().numpy()}


class _Progress:
    """Rich progress bar (epoch, loss, images/s) on stderr when it is a terminal."""

    def __init__(self, epochs: int, iters: int, quiet: bool):
        import sys

        self.enabled = not quiet and sys.stderr.isatty() and epochs > 0
        self.epochs, self.iters = epochs, iters
        self._p = None

    def __enter__(self):
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._p = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                               TextColumn("loss {task.fields[loss]:.4f}"), TextColumn("{task.fields[ips]:.1f} img/s"),
                               TimeElapsedColumn(), console=Console(stderr=True))
            self._p.start()
        return self

    def start_epoch(self, epoch: int) -> None:
        if self._p is not None:
            self._task = self._p.add_task(f"epoch {epoch + 1}/{self.epochs}", total=self.iters, loss=0.0, ips=0.0)

    def step(self, loss: float, ips: float) -> None:
        if self._p is not None:
            self._p.update(self._task, advance=1, loss=loss, ips=ips)

    def __exit__(self, *exc):
        if self._p is not None:
            self._p.stop()
        return False
