"""``segbench eval semantic --dataset NAME --root ROOT --split SPLIT --pred DIR`` (dataset-driven
evaluation through an adapter; called from ``eval_cmd.semantic``)."""

from __future__ import annotations

from segbench.cli.common import emit, info
from segbench.errors import InputError


def semantic_dataset(name, root, split, pred, pred_ids, convention, gt, num_classes, class_names, allow_missing,
                      jobs, quiet, model, json_out, fmt, per_image) -> None:
    """``eval semantic --dataset NAME --root ROOT --split SPLIT --pred DIR``."""
    from segbench.api import write_per_image_csv
    from segbench.datasets.base import get_dataset
    from segbench.engine.dataset_eval import dataset_semantic_record, evaluate_semantic_dataset
    from segbench.report.records import record_tables

    for flag, value in (("--gt", gt), ("--num-classes", num_classes), ("--class-names", class_names)):
        if value is not None:
            raise InputError(f"{flag} does not go with --dataset {name}: the dataset adapter gives the ground truth and classes")
    adapter = get_dataset(name)
    if split is None:
        raise InputError(f"--split is required with --dataset {name}; expected one of {', '.join(adapter.splits)}")
    evaluation = evaluate_semantic_dataset(adapter, root, split, pred, pred_ids=pred_ids, convention=convention,
                                           allow_missing=allow_missing, jobs=jobs, quiet=quiet)
    record = dataset_semantic_record(evaluation, adapter, root=root, split=split, model=model)
    if per_image is not None:
        write_per_image_csv(per_image, evaluation.stats, evaluation.convention)
    if evaluation.missing:
        info(f"{len(evaluation.missing)} images had no prediction and count as fully wrong")
    if evaluation.extra:
        info(f"{len(evaluation.extra)} prediction files match no image of {name} {split} and were not evaluated")
    tables = record_tables(record)
    if record.get("per_category"):
        from segbench.report.tables import Table

        tables.append(Table(title="Per category", columns=["category", "IoU", "iIoU"], kinds=["label", "percent", "percent"],
                            rows=[[g["name"], g.get("iou"), g.get("iiou")] for g in record["per_category"]]))
    emit(record, tables, fmt, json_out)
