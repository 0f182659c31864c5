"""``segbench eval panoptic``: PQ/SQ/RQ (all, things, stuff) on COCO-panoptic PNG + JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from segbench.cli.common import OutputFormat, cli_errors, emit, info
from segbench.cli.eval_cmd import app


def resolve_ground_truth(gt: Path | None, gt_dir: Path | None, dataset: str | None, root: Path | None,
                         split: str | None) -> tuple[Path, Path]:
    """``--gt/--gt-dir`` or ``--dataset/--root/--split`` (exactly one of the two) -> (JSON, PNG folder)."""
    from segbench.errors import InputError

    if dataset is not None:
        if gt is not None or gt_dir is not None:
            raise InputError("give either --gt/--gt-dir or --dataset/--root/--split, not both")
        if split is None:
            raise InputError(f"--dataset {dataset}: expected --split too (and --root with the dataset's files)")
        from segbench.datasets.base import get_dataset

        json_path, png_dir = get_dataset(dataset).panoptic_annotations(None if root is None else Path(root), split)
        return Path(json_path), Path(png_dir)
    if gt is None or gt_dir is None:
        raise InputError("expected --gt PANOPTIC.json and --gt-dir PNG_DIR (or --dataset NAME --root ROOT --split SPLIT)")
    return gt, gt_dir


@app.command("panoptic")
def panoptic(
    gt: Optional[Path] = typer.Option(None, "--gt", help="Ground-truth COCO-panoptic JSON."),
    gt_dir: Optional[Path] = typer.Option(None, "--gt-dir", help="Folder of ground-truth segment-id PNGs."),
    pred: Path = typer.Option(..., "--pred", help="Prediction COCO-panoptic JSON (matched by image_id)."),
    pred_dir: Path = typer.Option(..., "--pred-dir", help="Folder of predicted segment-id PNGs."),
    dataset: Optional[str] = typer.Option(None, "--dataset", help="Dataset adapter giving the ground truth (instead of --gt/--gt-dir)."),
    root: Optional[Path] = typer.Option(None, "--root", help="Dataset root folder (with --dataset)."),
    split: Optional[str] = typer.Option(None, "--split", help="Dataset split (with --dataset)."),
    per_class: bool = typer.Option(False, "--per-class", help="Also print the per-category table."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the result record here (atomically)."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format on stdout."),
    jobs: int = typer.Option(0, "--jobs", "-j", min=0, help="Worker threads (0 = all cores)."),
    model: Optional[str] = typer.Option(None, "--model", help="Model label stored in the record."),
    dataset_name: Optional[str] = typer.Option(None, "--dataset-name", help="Dataset label stored in the record."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Panoptic quality PQ = SQ x RQ (things/stuff), identical to panopticapi's pq_compute."""
    with cli_errors():
        from segbench.engine.panoptic import evaluate_panoptic, panoptic_record
        from segbench.fileio import check_output_paths
        from segbench.report.records import record_tables

        check_output_paths((json_out, "result"))  # before any work

        gt_json, gt_png = resolve_ground_truth(gt, gt_dir, dataset, root, split)
        evaluation = evaluate_panoptic(gt_json, gt_png, pred, pred_dir, jobs=jobs, quiet=quiet)
        label = dataset_name or (f"{dataset}/{split}" if dataset else str(gt_json))
        record = panoptic_record(evaluation, dataset=label, model=model)
        if evaluation.extra:
            info(f"{len(evaluation.extra)} prediction entries have no ground-truth image and were not evaluated")
        emit(record, record_tables(record, per_class=per_class), fmt, json_out)
