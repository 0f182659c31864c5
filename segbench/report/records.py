"""Turn result records into paper-style tables (summary row + per-class table).

Column choices follow the papers: the FCN paper's Table 2 for semantic segmentation (pixel acc.,
mean acc., mean IU, f.w. IU), the Mask R-CNN paper for COCO mask AP, the Panoptic FPN paper for
PQ. Metrics a record carries beyond these (e.g. Cityscapes iIoU) are appended.
"""

from __future__ import annotations

from segbench.report.tables import Table

SUMMARY_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "semantic": [
        ("pixel_acc", "pixel acc."),
        ("mean_acc", "mean acc."),
        ("miou", "mean IU"),
        ("fwiou", "f.w. IU"),
        ("mdice", "mean Dice"),
        ("iiou", "iIoU"),
        ("cat_miou", "cat. IoU"),
        ("cat_iiou", "cat. iIoU"),
        ("score", "score"),
    ],
    "instance": [
        ("AP", "AP"), ("AP50", "AP50"), ("AP75", "AP75"), ("APs", "APS"), ("APm", "APM"), ("APl", "APL"),
    ],
    "panoptic": [
        ("PQ", "PQ"), ("SQ", "SQ"), ("RQ", "RQ"), ("PQ_th", "PQ^Th"), ("SQ_th", "SQ^Th"), ("RQ_th", "RQ^Th"),
        ("PQ_st", "PQ^St"), ("SQ_st", "SQ^St"), ("RQ_st", "RQ^St"),
    ],
}

# (key, header, kind) of the per-class table.
PER_CLASS_COLUMNS: dict[str, list[tuple[str, str, str]]] = {
    "semantic": [("iou", "IoU", "percent"), ("iiou", "iIoU", "percent"), ("acc", "Acc", "percent"),
                 ("dice", "Dice", "percent")],
    "instance": [("AP", "AP", "percent"), ("AP50", "AP50", "percent"), ("AP75", "AP75", "percent"),
                 ("APs", "APS", "percent"), ("APm", "APM", "percent"), ("APl", "APL", "percent"),
                 ("AR100", "AR100", "percent"), ("num_gt", "GT", "int")],
    "panoptic": [
        ("PQ", "PQ", "percent"), ("SQ", "SQ", "percent"), ("RQ", "RQ", "percent"),
        ("tp", "TP", "int"), ("fp", "FP", "int"), ("fn", "FN", "int"),
    ],
}

COUNT_METRICS = {"num_images"}


def summary_columns(task: str, metrics: dict) -> list[tuple[str, str]]:
    cols = list(SUMMARY_COLUMNS.get(task, []))
    known = {k for k, _ in cols}
    cols += [(k, k) for k, v in metrics.items() if k not in known and (v is None or isinstance(v, (int, float)))
             and not (task == "instance" and k.startswith("AR"))]  # instance recall: its own table
    return [(k, h) for k, h in cols if k in metrics]


def summary_table(record: dict, label: str | None = None) -> Table:
    metrics = record["metrics"]
    cols = summary_columns(record["task"], metrics)
    title = {"semantic": "Semantic segmentation", "instance": "Instance segmentation (COCO mask AP)",
             "panoptic": "Panoptic segmentation"}.get(record["task"], record["task"])
    name = label or record.get("model") or record.get("dataset") or "result"
    return Table(
        title=title,
        columns=[""] + [h for _, h in cols],
        kinds=["label"] + ["percent"] * len(cols),
        rows=[[name] + [metrics.get(k) for k, _ in cols]],
    )


def per_class_table(record: dict) -> Table | None:
    rows = record.get("per_class") or []
    if not rows:
        return None
    spec = [c for c in PER_CLASS_COLUMNS.get(record["task"], []) if any(c[0] in r for r in rows)]
    return Table(
        title="Per class",
        columns=["id", "class"] + [h for _, h, _ in spec],
        kinds=["int", "label"] + [kind for _, _, kind in spec],
        rows=[[r.get("id"), r.get("name") or str(r.get("id"))] + [r.get(k) for k, _, _ in spec] for r in rows],
    )


def recall_table(record: dict, label: str | None = None) -> Table | None:
    """COCO average recall (AR1, AR10, AR100, ARS, ARM, ARL) of an instance record."""
    metrics = record["metrics"]
    keys = [k for k in metrics if k.startswith("AR")]
    if not keys:
        return None
    headers = {"ARs": "ARS", "ARm": "ARM", "ARl": "ARL"}
    name = label or record.get("model") or record.get("dataset") or "result"
    return Table(title="Average recall", columns=[""] + [headers.get(k, k) for k in keys],
                 kinds=["label"] + ["percent"] * len(keys), rows=[[name] + [metrics[k] for k in keys]])


def record_tables(record: dict, per_class: bool = True) -> list[Table]:
    tables = [summary_table(record)]
    if record["task"] == "instance":
        rt = recall_table(record)
        if rt is not None:
            tables.append(rt)
    if per_class:
        pc = per_class_table(record)
        if pc is not None:
            tables.append(pc)
    return tables


def run_table(records: list[dict], metric_keys: list[tuple[str, str]] | None = None) -> Table:
    """Comparison of ``segbench run`` records: model, preset, epochs, parameters, train time,
    inference time per image and the task's headline metrics."""
    task = records[0]["task"] if records else "semantic"
    if metric_keys is None:
        metric_keys = {"semantic": [("pixel_acc", "pixel acc."), ("miou", "mean IU"), ("fwiou", "f.w. IU")],
                       "instance": [("AP", "mask AP"), ("AP50", "AP50"), ("AP75", "AP75")],
                       "panoptic": [("PQ", "PQ"), ("SQ", "SQ"), ("RQ", "RQ")]}[task]
    rows = []
    for r in records:
        m = r.get("meta", {})
        params = m.get("parameters")
        rows.append([r.get("model"), m.get("preset"), r.get("dataset"), m.get("epochs"),
                     None if params is None else params / 1e6, m.get("train_seconds"),
                     None if m.get("inference_seconds_per_image") is None else 1000 * m["inference_seconds_per_image"]]
                    + [r["metrics"].get(k) for k, _ in metric_keys])
    return Table(
        title="segbench run",
        columns=["model", "preset", "dataset", "epochs", "params (M)", "train s", "ms/img"] + [h for _, h in metric_keys],
        kinds=["label", "label", "label", "int", "float", "float", "float"] + ["percent"] * len(metric_keys),
        rows=rows,
    )
