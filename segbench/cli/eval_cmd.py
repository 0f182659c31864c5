"""``segbench eval semantic|instance|panoptic``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from segbench.cli.common import OutputFormat, cli_errors, emit, info, parse_ignore_index
from segbench.errors import InputError

app = typer.Typer(help="Evaluate predictions against ground truth.", no_args_is_help=True)


@app.command("semantic")
def semantic(
    gt: Optional[Path] = typer.Option(None, "--gt", help="Ground-truth folder of label maps (PNG or .npy), searched recursively."),
    pred: Path = typer.Option(..., "--pred", help="Prediction folder, matched to --gt by relative path without extension."),
    num_classes: Optional[int] = typer.Option(None, "--num-classes", help="Number of classes N; labels are 0..N-1."),
    ignore_index: Optional[str] = typer.Option(None, "--ignore-index", help="GT label to ignore (any value in the file's range) or 'none'; default 255 (with --dataset: the dataset's own)."),
    class_names: Optional[Path] = typer.Option(None, "--class-names", help="Class names: .txt (one per line) or .json."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the result record here (atomically)."),
    fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", help="Output format on stdout."),
    per_image: Optional[Path] = typer.Option(None, "--per-image", help="Write per-image metrics to this CSV."),
    jobs: int = typer.Option(0, "--jobs", "-j", min=0, help="Worker threads (0 = all cores)."),
    convention: Optional[str] = typer.Option(None, "--convention",
                                             help="default | detectron2 | cityscapes | mapillary | ade20k (docs/conventions.md); "
                                                  "with --dataset the dataset's official one by default."),
    gt_suffix: str = typer.Option("", "--gt-suffix", help="Naming suffix to strip from GT names, e.g. _gtFine_labelIds."),
    pred_suffix: str = typer.Option("", "--pred-suffix", help="Naming suffix to strip from prediction names."),
    allow_missing: bool = typer.Option(False, "--allow-missing", help="Count GT files without prediction as fully wrong."),
    dataset_name: Optional[str] = typer.Option(None, "--dataset-name", help="Dataset label stored in the record."),
    model: Optional[str] = typer.Option(None, "--model", help="Model label stored in the record."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    dataset: Optional[str] = typer.Option(None, "--dataset", help="Evaluate against a dataset root through its adapter "
                                          "(`segbench datasets` lists them); replaces --gt/--num-classes."),
    root: Optional[Path] = typer.Option(None, "--root", help="Dataset root in its official layout (with --dataset)."),
    split: Optional[str] = typer.Option(None, "--split", help="Dataset split, e.g. val (with --dataset)."),
    pred_ids: Optional[str] = typer.Option(None, "--pred-ids", help="Prediction id space with --dataset: labelIds (the "
                                           "dataset's raw ids, default) or trainIds (0..N-1, 255 = none); colour PNGs are detected."),
) -> None:
    """Pixel accuracy, mean accuracy, mIoU, fwIoU (FCN paper) and Dice on label-map folders."""
    with cli_errors():
        from segbench.api import evaluate_semantic, semantic_record, write_per_image_csv
        from segbench.fileio import check_output_paths
        from segbench.report.records import record_tables

        # Every output path is checked before any work (also for --dataset): nothing half-written.
        check_output_paths((json_out, "result"), (per_image, "per-image CSV"))

        if dataset is not None:
            from segbench.cli.eval_dataset import semantic_dataset

            for flag, value in (("--ignore-index", ignore_index), ("--gt-suffix", gt_suffix or None),
                                ("--pred-suffix", pred_suffix or None)):
                if value is not None:
                    raise InputError(f"{flag} cannot be combined with --dataset: the dataset adapter fixes it")

            semantic_dataset(dataset, root, split, pred, pred_ids, convention, gt, num_classes, class_names,
                              allow_missing, jobs, quiet, model, json_out, fmt, per_image)
            return
        for flag, value in (("--root", root), ("--split", split), ("--pred-ids", pred_ids)):
            if value is not None:
                raise InputError(f"{flag} needs --dataset NAME (or use --gt/--num-classes for plain folders)")
        if gt is None or num_classes is None:
            raise InputError("expected --gt GT_DIR and --num-classes N, or --dataset NAME --root ROOT --split SPLIT")
        convention = convention or "default"
        if convention in ("cityscapes", "mapillary"):
            raise InputError(f"--convention {convention} depends on a dataset's label table: pass --dataset NAME --root ROOT")
        ignore = parse_ignore_index("255" if ignore_index is None else ignore_index)
        evaluation = evaluate_semantic(
            gt, pred, num_classes, ignore, gt_suffix=gt_suffix, pred_suffix=pred_suffix,
            allow_missing=allow_missing, jobs=jobs, quiet=quiet, convention=convention,
        )
        names = None
        if class_names is not None:
            from segbench.datasets.classnames import load_class_names

            names = load_class_names(class_names, num_classes)
        record = semantic_record(evaluation, convention=convention, class_names=names,
                                 dataset=dataset_name or str(gt), model=model, ignore_index=ignore)
        if per_image is not None:
            write_per_image_csv(per_image, evaluation.stats, convention)
        if evaluation.missing:
            info(f"{len(evaluation.missing)} ground-truth files had no prediction and count as fully wrong")
        if evaluation.extra:
            info(f"{len(evaluation.extra)} prediction files have no ground truth and were not evaluated")
        emit(record, record_tables(record), fmt, json_out)


from segbench.cli import eval_instance  # noqa: E402,F401  (registers ``eval instance``)

from segbench.cli import eval_panoptic  # noqa: E402,F401  (registers `eval panoptic`)
