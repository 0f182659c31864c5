"""``segbench synth`` and ``segbench demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from segbench.cli.common import OutputFormat, cli_errors, emit, info


def register(app: typer.Typer) -> None:
    app.command("synth")(synth)
    app.command("demo")(demo)


def synth(
    out: Path = typer.Argument(..., help="Output folder."),
    images: int = typer.Option(20, "--images", help="Number of scenes."),
    size: str = typer.Option("256x320", "--size", help="Image size HxW."),
    classes: int = typer.Option(6, "--classes", help="Number of classes K (0 = background, then stuff and shapes)."),
    seed: int = typer.Option(0, "--seed", help="World seed; the output is a pure function of the options."),
    quality: float = typer.Option(0.8, "--quality", help="Prediction quality in (0, 1]; 1 = near-perfect."),
    tasks: Optional[str] = typer.Option(None, "--tasks", help="Comma-separated tasks to write (default: all)."),
    overwrite: bool = typer.Option(False, "--overwrite",
                                   help="Replace task folders an earlier synth run wrote (others are never removed)."),
) -> None:
    """Write deterministic synthetic scenes: images, ground truth and noisy predictions."""
    with cli_errors():
        from segbench.datasets.synth_writer import SynthConfig, parse_size, write_synthetic

        h, w = parse_size(size)
        config = SynthConfig(out, images, h, w, classes, seed, quality)
        task_list = tuple(t.strip() for t in tasks.split(",")) if tasks else None
        write_synthetic(config, task_list, overwrite=overwrite)
        info(f"wrote {images} synthetic scenes ({h}x{w}, {classes} classes, seed {seed}) to {out}")


def demo(
    out: Path = typer.Option(Path("segbench-demo"), "--out", help="Where to write the synthetic data."),
    images: int = typer.Option(50, "--images"),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format"),
) -> None:
    """Generate synthetic data, evaluate the noisy predictions, print the paper-style table.

    Re-runnable: an earlier demo's (synth-written) semantic folder under --out is replaced."""
    with cli_errors():
        from segbench.api import evaluate_semantic, semantic_record
        from segbench.datasets.synth_writer import SynthConfig, write_synthetic
        from segbench.datasets.synthetic import shapes_classes
        from segbench.report.records import record_tables

        classes = 6
        write_synthetic(SynthConfig(out, images, 256, 320, classes, 0), ("semantic",), overwrite=True)
        evaluation = evaluate_semantic(out / "semantic" / "gt", out / "semantic" / "pred", classes, 255, quiet=True)
        names = [c.name for c in shapes_classes(classes)]
        record = semantic_record(evaluation, class_names=names, dataset="shapes (synthetic)", model="noisy-oracle")
        info(f"synthetic data in {out}; evaluated {evaluation.stats.num_images} images in {evaluation.seconds:.2f} s")
        emit(record, record_tables(record), fmt)
