"""``segbench run MODEL DATASET``: train a registry model on a dataset adapter and evaluate it."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from segbench.cli.common import OutputFormat, cli_errors, emit, info, require_torch


def register(app: typer.Typer) -> None:
    app.command("run")(run)


def run(
    model: str = typer.Argument(..., help="Model name (see `segbench models`)."),
    dataset: str = typer.Argument(..., help="Dataset adapter name (e.g. shapes, nuclei)."),
    preset: str = typer.Option("lite", "--preset", help="lite (CPU-sized) or full (paper-sized)."),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Training epochs (default per task and preset)."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help="Images per batch."),
    lr: Optional[float] = typer.Option(None, "--lr", help="Base learning rate of the poly schedule."),
    size: Optional[str] = typer.Option(None, "--size", help="Train/inference size HxW (default: native)."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    seed: int = typer.Option(0, "--seed", help="Seed: same seed, same result (on CPU)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Run folder (default runs/MODEL-DATASET-PRESET)."),
    resume: bool = typer.Option(False, "--resume", help="Continue from RUN_DIR/checkpoint.pt."),
    weights: Optional[Path] = typer.Option(None, "--weights", help="Local checkpoint or torchvision weight file."),
    root: Optional[Path] = typer.Option(None, "--root", help="Dataset root folder (adapters that read files)."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Also write the result record here."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table, markdown, latex, csv or json."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress output."),
) -> None:
    """Train MODEL on DATASET (SGD, poly LR, checkpoints each epoch) and evaluate on its val split."""
    with cli_errors():
        require_torch("segbench run")
        from segbench.fileio import check_output_paths

        check_output_paths((json_path, "result"))  # before training, not after it
        from segbench.engine.train import RunConfig, parse_size, run as run_training
        from segbench.report.records import record_tables, run_table

        config = RunConfig(model=model, dataset=dataset, preset=preset, epochs=epochs, batch_size=batch_size,
                           lr=lr, size=parse_size(size), device=device, seed=seed, out=out, resume=resume,
                           weights=weights, root=root, quiet=quiet)

        def on_epoch(e: dict) -> None:
            if not quiet:
                info(f"epoch {e['epoch']}: loss {e['loss']:.4f}, {e['images_per_second']:.1f} img/s, {e['seconds']:.1f} s")

        record = run_training(config, on_epoch=on_epoch)
        if not quiet:
            info(f"run folder {record['meta']['run_dir']} (checkpoint.pt, result.json)")
        emit(record, [run_table([record])] + record_tables(record), fmt, json_path)
