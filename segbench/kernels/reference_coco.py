"""Plain-Python/numpy references of the kernels in ``coco.py`` (slow; for tests only).

They follow pycocotools' own formulation where it differs from the kernels' (dense masks
instead of run walks, ``np.cumsum``/``np.searchsorted`` instead of loops), so a test comparing
the two checks the kernels' shortcuts.
"""

from __future__ import annotations

import numpy as np

from segbench.kernels.coco import FP, IGNORED, TP


def decode_rle_string(s: bytes) -> list[int]:
    """``rleFrString``: compressed RLE string -> counts (no validation)."""
    counts: list[int] = []
    p = 0
    while p < len(s):
        x = 0
        k = 0
        more = True
        while more:
            c = s[p] - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts


def encode_rle_string(counts) -> bytes:
    """``rleToString``: counts -> compressed RLE string."""
    out = bytearray()
    for i, c in enumerate(counts):
        x = int(c) - (int(counts[i - 2]) if i > 2 else 0)
        more = True
        while more:
            ch = x & 0x1F
            x >>= 5
            more = (x != -1) if (ch & 0x10) else (x != 0)
            if more:
                ch |= 0x20
            out.append(ch + 48)
    return bytes(out)


def counts_to_mask(counts, h: int, w: int) -> np.ndarray:
    """Dense ``(h, w)`` bool mask of column-major run lengths."""
    flat = np.zeros(h * w, bool)
    pos = 0
    for j, c in enumerate(counts):
        if j % 2 == 1:
            flat[pos:pos + c] = True
        pos += c
    return flat.reshape(w, h).T


def mask_iou(dt_masks: list[np.ndarray], gt_masks: list[np.ndarray], crowd) -> np.ndarray:
    """IoU matrix ``(D, G)`` from dense masks (crowd: detection area as denominator)."""
    out = np.zeros((len(dt_masks), len(gt_masks)))
    for d, dm in enumerate(dt_masks):
        for g, gm in enumerate(gt_masks):
            inter = int(np.logical_and(dm, gm).sum())
            if inter == 0:
                continue
            union = int(dm.sum()) if crowd[g] else int(np.logical_or(dm, gm).sum())
            out[d, g] = inter / union
    return out


def match(ious: np.ndarray, gt_area, gt_crowd, gt_ids, dt_area, area_rng, iou_thrs):
    """pycocotools ``evaluateImg`` for one block and area range -> (codes ``(D, T)``, npig)."""
    gt_area = np.asarray(gt_area, float)
    ignore = np.array([bool(c) or a < area_rng[0] or a > area_rng[1] for c, a in zip(gt_crowd, gt_area)], bool)
    gtind = np.argsort(ignore.astype(int), kind="mergesort")
    ious = ious[:, gtind] if ious.size else ious
    ig = ignore[gtind]
    crowd = np.asarray(gt_crowd, bool)[gtind]
    ids = np.asarray(gt_ids)[gtind]
    D, G, T = ious.shape[0], len(gtind), len(iou_thrs)
    gtm = np.zeros((T, G))
    dtm = np.zeros((T, D))
    dtig = np.zeros((T, D), bool)
    if D and G:
        for t, thr in enumerate(iou_thrs):
            for d in range(D):
                iou = min(thr, 1 - 1e-10)
                m = -1
                for g in range(G):
                    if gtm[t, g] > 0 and not crowd[g]:
                        continue
                    if m > -1 and not ig[m] and ig[g]:
                        break
                    if ious[d, g] < iou:
                        continue
                    iou = ious[d, g]
                    m = g
                if m == -1:
                    continue
                dtig[t, d] = ig[m]
                dtm[t, d] = ids[m]
                gtm[t, m] = d + 1
    outside = np.array([a < area_rng[0] or a > area_rng[1] for a in dt_area], bool).reshape(1, D)
    dtig = dtig | ((dtm == 0) & outside)
    codes = np.where(dtig, IGNORED, np.where(dtm != 0, TP, FP)).astype(np.uint8).T
    return codes, int((~ig).sum())


def accumulate_category(blocks, rec_thrs, max_det):
    """pycocotools ``accumulate`` for one category/area range/maxDets.

    ``blocks``: list of ``(scores (D,), codes (D, T), npig)`` in image order, detections sorted
    by descending score. Returns ``(precision (T, R), recall (T,))`` or ``None`` (``-1``).
    """
    if not blocks:
        return None
    scores = np.concatenate([s[:max_det] for s, _, _ in blocks])
    codes = np.concatenate([c[:max_det] for _, c, _ in blocks], axis=0)
    npig = sum(n for _, _, n in blocks)
    if npig == 0:
        return None
    inds = np.argsort(-scores, kind="mergesort")
    codes = codes[inds].T
    tps = codes == TP
    fps = codes == FP
    tp_sum = np.cumsum(tps, axis=1).astype(float)
    fp_sum = np.cumsum(fps, axis=1).astype(float)
    T, R = codes.shape[0], len(rec_thrs)
    precision = np.zeros((T, R))
    recall = np.zeros(T)
    for t in range(T):
        tp, fp = tp_sum[t], fp_sum[t]
        nd = len(tp)
        rc = tp / npig
        pr = list(tp / (fp + tp + np.spacing(1)))
        recall[t] = rc[-1] if nd else 0
        for i in range(nd - 1, 0, -1):
            if pr[i] > pr[i - 1]:
                pr[i - 1] = pr[i]
        inds = np.searchsorted(rc, rec_thrs, side="left")
        for ri, pi in enumerate(inds):
            if pi >= nd:
                break
            precision[t, ri] = pr[pi]
    return precision, recall


def box_iou(dt_boxes, gt_boxes, crowd) -> np.ndarray:
    """``bbIou`` vectorised: ``[x, y, w, h]`` boxes; crowd ground truth: detection area as denominator."""
    d = np.asarray(dt_boxes, float).reshape(-1, 4)[:, None, :]
    g = np.asarray(gt_boxes, float).reshape(-1, 4)[None, :, :]
    w = np.minimum(d[..., 2] + d[..., 0], g[..., 2] + g[..., 0]) - np.maximum(d[..., 0], g[..., 0])
    h = np.minimum(d[..., 3] + d[..., 1], g[..., 3] + g[..., 1]) - np.maximum(d[..., 1], g[..., 1])
    inter = w * h
    da = d[..., 2] * d[..., 3]
    ga = g[..., 2] * g[..., 3]
    union = np.where(np.asarray(crowd, bool)[None, :], da, da + ga - inter)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where((w > 0) & (h > 0), inter / union, 0.0)
    return out


def rle_bbox(counts, h: int, w: int) -> list[float]:
    """``rleToBbox`` for one mask (pycocotools 2.0.x): per foreground run of non-zero length, its
    first and last pixel; a run that crosses a column boundary makes the box span the full height.
    uint32 arithmetic, as in C."""
    m = (len(counts) // 2) * 2
    if m == 0:
        return [0.0, 0.0, 0.0, 0.0]
    xs, ys, xe, ye, cc = w, h, 0, 0, 0
    for j in range(m):
        start = cc
        cc = (cc + int(counts[j])) & 0xFFFFFFFF
        if j % 2 == 0 or counts[j] == 0:
            continue
        end = (cc - 1) & 0xFFFFFFFF
        x0, y0, x1, y1 = start // h, start % h, end // h, end % h
        xs, xe = min(xs, x0), max(xe, x1)
        if x0 < x1:
            ys, ye = 0, h - 1
        else:
            ys, ye = min(ys, y0), max(ye, y1)
    return [float(xs), float(ys), float((xe - xs + 1) & 0xFFFFFFFF), float((ye - ys + 1) & 0xFFFFFFFF)]


def pycoco_rle_iou(dt_counts, gt_counts, crowd: bool) -> float:
    """``maskApi.c`` ``rleIou`` for one pair, transcribed: the two run lists are walked together
    until the remaining counts of both are 0 at once -- early when both load a zero-length run at
    the same position. (Its box-IoU gate is left out: the boxes hold every foreground pixel.)"""
    ca, ka, cb, kb = int(dt_counts[0]), len(dt_counts), int(gt_counts[0]), len(gt_counts)
    va = vb = False
    a = b = 1
    i = u = 0
    ct = 1
    while ct > 0:
        c = min(ca, cb)
        if va or vb:
            u += c
            if va and vb:
                i += c
        ct = 0
        ca -= c
        if not ca and a < ka:
            ca = int(dt_counts[a])
            a += 1
            va = not va
        ct += ca
        cb -= c
        if not cb and b < kb:
            cb = int(gt_counts[b])
            b += 1
            vb = not vb
        ct += cb
    if i == 0:
        return 0.0
    if crowd:
        u = sum(int(c) for c in dt_counts[1::2])
    return i / u

