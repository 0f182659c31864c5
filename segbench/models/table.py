"""The ``segbench models`` table: name, task, source, parameters, forward time, output stride."""

from __future__ import annotations

import time

from segbench.errors import InputError


def parse_input(text: str) -> tuple[int, int, int]:
    try:
        c, h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise InputError(f"--input {text!r}: expected CxHxW such as 3x512x512") from None
    if c != 3 or h < 32 or w < 32:
        raise InputError(f"--input {text!r}: expected 3 channels and H, W >= 32")
    return c, h, w


def forward_seconds(model, spec, shape, device, repeats: int) -> float | None:
    """Median wall time of one forward pass of a single image (after a warm-up)."""
    import torch

    if repeats <= 0:
        return None
    model.eval().to(device)
    x = torch.rand(1, *shape, device=device)
    arg = list(x) if spec.task != "semantic" else x
    times = []
    with torch.no_grad():
        for k in range(repeats + 1):
            if device.type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            model(arg)
            if device.type == "cuda":
                torch.cuda.synchronize()
            if k:
                times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2]


def resolve_device(device: str):
    """``auto`` -> cuda when available, else cpu; ``cuda`` without a GPU is an error."""
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda: no CUDA device is available; expected --device cpu or auto")
    if device not in ("cpu", "cuda"):
        raise InputError(f"--device {device!r}: expected auto, cpu or cuda")
    return torch.device(device)


def model_table(names, preset: str, input_shape: str, device: str, classes: int, repeats: int):
    from segbench.models import build_model, count_parameters, get_model_spec, model_names
    from segbench.record import clean
    from segbench.report.tables import Table

    shape = parse_input(input_shape)
    dev = resolve_device(device)
    names = names or model_names()
    specs = [get_model_spec(n) for n in names]  # unknown names fail here, before any work
    rows, out = [], []
    for spec in specs:
        kw = {}
        if spec.task != "semantic":
            kw = {"min_size": min(shape[1:]), "max_size": max(shape[1:])}
        model = build_model(spec.name, classes, preset, **kw)
        params = count_parameters(model)
        sec = forward_seconds(model, spec, shape, dev, repeats)
        stride = spec.output_stride.get(preset)
        rows.append([spec.name, spec.task, spec.source, params / 1e6, None if sec is None else 1000 * sec, stride,
                     spec.paper])
        out.append({"name": spec.name, "task": spec.task, "source": spec.source, "parameters": params,
                    "forward_ms": None if sec is None else 1000 * sec, "output_stride": stride, "paper": spec.paper})
        del model
    table = Table(title=f"Models ({preset} preset, {classes} classes, forward of 1x{input_shape} on {dev})",
                  columns=["model", "task", "source", "params (M)", "forward ms", "output stride", "paper"],
                  kinds=["label", "label", "label", "float", "float", "int", "label"], rows=rows)
    return table, clean({"preset": preset, "input": input_shape, "device": str(dev), "classes": classes, "models": out})
