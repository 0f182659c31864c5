"""Numba kernels for COCO instance evaluation (pycocotools ``COCOeval`` semantics, bit for bit).

Run-length encoding (COCO RLE): a mask of ``h x w`` pixels is read in column-major (Fortran)
order and stored as alternating run lengths ``counts = [bg, fg, bg, fg, ...]`` starting with
background; ``sum(counts) == h * w``. Foreground interval ``j`` of a mask is
``[start_j, start_j + counts[2j+1])`` in the flat column-major index.

Compressed RLE strings (pycocotools ``rleToString``/``rleFrString``) hold each count as 5-bit
groups (LSB first) in characters ``48 + c`` (bit 0x20: more groups follow; bit 0x10 of the last
group: sign); from the fourth count on (index ``i > 2``, not ``i >= 2``) the value is stored as the
difference to ``counts[i - 2]``.

IoU of a detection ``d`` and a ground truth ``g`` (``maskApi.c`` ``rleIou``/``bbIou``)::

    IoU = |d ∩ g| / |d ∪ g|        (regular ground truth)
    IoU = |d ∩ g| / |d|            (crowd ground truth: the detection's area is the denominator)
    IoU = 0                        when |d ∩ g| = 0

computed as a float64 division of the integer pixel counts, so every value equals pycocotools'.
Masks with a zero-length run after the first count (non-canonical RLE) are the exception: there
``rleIou``'s walk may stop early, and ``zero_run_iou_blocks`` redoes those pairs its way.

Greedy matching (``COCOeval.evaluateImg``), for one image, one category, one area range and one
IoU threshold ``t``: detections in descending score order (stable), ground truth with ignored
entries last (stable); each detection takes the unmatched (or crowd) ground truth of highest IoU
``>= min(t, 1 - 1e-10)``, preferring regular over ignored ground truth. The outcome per detection
is a code: ``FP`` (0), ``TP`` (1) or ``IGNORED`` (2) — matched to an ignored ground truth, or
unmatched and outside the area range. Accumulation (``COCOeval.accumulate``) turns the codes of
all images of a category into a precision/recall curve sampled at 101 recall thresholds.

All kernels are serial, ``cache=True`` and ``nogil=True`` (callers may run them from threads on
disjoint slices); their plain-Python references live in ``reference_coco.py``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

FP = np.uint8(0)
TP = np.uint8(1)
IGNORED = np.uint8(2)

# decode_rle_strings status codes
RLE_OK = 0
RLE_BAD_CHAR = 1
RLE_TRUNCATED = 2
RLE_BAD_COUNT = 3
RLE_SIZE_MISMATCH = 4


@njit(cache=True, nogil=True)
def decode_rle_strings(blob, starts, ends, json_escaped, pixels, cnts, cnt_start):
    """Decode compressed RLE strings ``blob[starts[i]:ends[i]]`` into one flat count array.

    ``json_escaped``: the strings are raw JSON string bodies, where the one alphabet character
    that JSON escapes, ``\\`` (92), appears as two bytes. ``pixels[i]`` is the expected ``h * w``
    of mask ``i``; ``cnts`` (uint32, at least as long as the number of characters ``'0'..'O'``,
    which end a value) receives the counts, ``cnt_start`` (``n + 1``) the offsets. Returns
    ``(i, status)``: ``(-1, RLE_OK)`` or the first bad mask and why (a character outside
    ``'0'..'o'``, a string ending inside a value, a negative or too large count, or counts that do
    not sum to ``pixels[i]``).
    """
    n = starts.shape[0]
    m = 0
    for i in range(n):
        cnt_start[i] = m
        base = m
        p = starts[i]
        end = ends[i]
        total = 0
        while p < end:
            x = np.int64(0)
            k = 0
            more = True
            while more:
                if p >= end:
                    return i, RLE_TRUNCATED
                if json_escaped and blob[p] == 92:
                    p += 1
                    if p >= end or blob[p] != 92:
                        return i, RLE_BAD_CHAR
                c = np.int64(blob[p]) - 48
                if c < 0 or c > 63 or k > 6:
                    return i, RLE_BAD_CHAR
                x |= (c & 0x1F) << (5 * k)
                more = (c & 0x20) != 0
                p += 1
                k += 1
                if not more and (c & 0x10) != 0:
                    x |= np.int64(-1) << (5 * k)
            if m - base > 2:
                x += np.int64(cnts[m - 2])
            if x < 0 or x > 0xFFFFFFFF:
                return i, RLE_BAD_COUNT
            cnts[m] = x
            total += x
            m += 1
        if total != pixels[i]:
            return i, RLE_SIZE_MISMATCH
    cnt_start[n] = m
    return -1, RLE_OK


@njit(cache=True, nogil=True)
def rle_summaries(cnts, cnt_start, area, first, last):
    """Per mask: foreground ``area``, ``first`` and ``last`` foreground flat index (``-1`` if empty)."""
    n = cnt_start.shape[0] - 1
    for i in range(n):
        pos = np.int64(0)
        a = np.int64(0)
        f = np.int64(-1)
        lst = np.int64(-1)
        for j in range(cnt_start[i], cnt_start[i + 1]):
            c = np.int64(cnts[j])
            if (j - cnt_start[i]) % 2 == 1 and c > 0:
                a += c
                if f < 0:
                    f = pos
                lst = pos + c - 1
            pos += c
        area[i] = a
        first[i] = f
        last[i] = lst


@njit(cache=True, nogil=True)
def rle_intersection(ca, a0, a1, cb, b0, b1):
    """Number of pixels in both masks ``ca[a0:a1]`` and ``cb[b0:b1]`` (same image size)."""
    inter = np.int64(0)
    # current foreground interval of each mask: [sa, ea), next count index ja
    ja = a0
    pa = np.int64(0)
    sa = np.int64(0)
    ea = np.int64(0)
    jb = b0
    pb = np.int64(0)
    sb = np.int64(0)
    eb = np.int64(0)
    have_a = False
    have_b = False
    while True:
        if not have_a:
            if ja + 1 >= a1:
                break
            pa += np.int64(ca[ja])
            sa = pa
            pa += np.int64(ca[ja + 1])
            ea = pa
            ja += 2
            have_a = True
        if not have_b:
            if jb + 1 >= b1:
                break
            pb += np.int64(cb[jb])
            sb = pb
            pb += np.int64(cb[jb + 1])
            eb = pb
            jb += 2
            have_b = True
        lo = sa if sa > sb else sb
        hi = ea if ea < eb else eb
        if hi > lo:
            inter += hi - lo
        if ea <= eb:
            have_a = False
        else:
            have_b = False
    return inter


@njit(cache=True, nogil=True)
def mask_iou_blocks(dt_cnts, dt_c0, dt_c1, dt_area, dt_first, dt_last,
                    gt_cnts, gt_c0, gt_c1, gt_area, gt_first, gt_last, gt_crowd,
                    blk_dt0, blk_ndt, blk_gt0, blk_ngt, iou_off, ious, b_start, b_stop):
    """Mask IoU matrices of blocks ``b_start..b_stop``: ``ious[iou_off[b] + d * G + g]``.

    Detections ``blk_dt0[b] + d`` (``d < blk_ndt[b]``, already sorted and truncated) against ground
    truth ``blk_gt0[b] + g``; masks are ``dt_cnts[c0:c1]`` / ``gt_cnts[c0:c1]``; areas are mask pixel counts. Pairs whose
    foreground spans do not overlap have no common pixel and get 0 without a walk.
    """
    for b in range(b_start, b_stop):
        nd = blk_ndt[b]
        ng = blk_ngt[b]
        off = iou_off[b]
        for d in range(nd):
            di = blk_dt0[b] + d
            for g in range(ng):
                gi = blk_gt0[b] + g
                v = 0.0
                if dt_first[di] >= 0 and gt_first[gi] >= 0 and dt_first[di] <= gt_last[gi] and gt_first[gi] <= dt_last[di]:
                    inter = rle_intersection(dt_cnts, dt_c0[di], dt_c1[di], gt_cnts, gt_c0[gi], gt_c1[gi])
                    if inter > 0:
                        if gt_crowd[gi]:
                            v = np.float64(inter) / np.float64(dt_area[di])
                        else:
                            v = np.float64(inter) / np.float64(dt_area[di] + gt_area[gi] - inter)
                ious[off + d * ng + g] = v


@njit(cache=True, nogil=True)
def _rle_box(cnts, c0, c1, h, w):
    """``rleToBbox`` of one mask -> x, y, w, h, as pycocotools 2.0.x computes it: foreground runs
    of length 0 are skipped, a run crossing a column spans the full height, an odd trailing count
    is dropped, arithmetic is uint32 (a mask with no foreground run among >= 2 counts gets the
    wrapped box ``[w, h, 2**32 + 1 - w, 2**32 + 1 - h]``)."""
    m = ((c1 - c0) // 2) * 2
    if m == 0 or h == 0:
        return 0.0, 0.0, 0.0, 0.0
    xs = np.int64(w)
    ys = np.int64(h)
    xe = np.int64(0)
    ye = np.int64(0)
    cc = np.int64(0)
    for j in range(m):
        start = cc
        run = np.int64(cnts[c0 + j])
        cc = (cc + run) & 0xFFFFFFFF
        if j % 2 == 0 or run == 0:
            continue
        y_start = start % h
        x_start = (start - y_start) // h
        end = (cc - 1) & 0xFFFFFFFF
        y_end = end % h
        x_end = (end - y_end) // h
        xs = min(xs, x_start)
        xe = max(xe, x_end)
        if x_start < x_end:
            ys = 0
            ye = h - 1
        else:
            ys = min(ys, y_start)
            ye = max(ye, y_end)
    return (np.float64(xs), np.float64(ys), np.float64((xe - xs + 1) & 0xFFFFFFFF),
            np.float64((ye - ys + 1) & 0xFFFFFFFF))


@njit(cache=True, nogil=True)
def pycoco_rle_iou(ca, a0, a1, cb, b0, b1, crowd, dt_area):
    """``maskApi.c`` ``rleIou`` for one pair, literally: the two run lists are walked together
    until the remaining counts of both are 0 at once -- which happens early when both masks load
    a zero-length run at the same position (non-canonical RLE with a 0 after the first count);
    the intersection and union counted up to there are the result. (``rleIou``'s gate on the box
    IoU changes nothing: the boxes hold every foreground pixel, so boxes that do not overlap mean
    an empty intersection, which the walk also finds.)"""
    ka = a1 - a0
    kb = b1 - b0
    cva = np.int64(ca[a0]) if ka > 0 else np.int64(0)
    cvb = np.int64(cb[b0]) if kb > 0 else np.int64(0)
    va = False
    vb = False
    ia = 1
    ib = 1
    inter = np.int64(0)
    uni = np.int64(0)
    ct = np.int64(1)
    while ct > 0:
        c = cva if cva < cvb else cvb
        if va or vb:
            uni += c
            if va and vb:
                inter += c
        ct = 0
        cva -= c
        if cva == 0 and ia < ka:
            cva = np.int64(ca[a0 + ia])
            ia += 1
            va = not va
        ct += cva
        cvb -= c
        if cvb == 0 and ib < kb:
            cvb = np.int64(cb[b0 + ib])
            ib += 1
            vb = not vb
        ct += cvb
    if inter == 0:
        return 0.0
    if crowd:
        uni = np.int64(dt_area)
    return np.float64(inter) / np.float64(uni)


@njit(cache=True, nogil=True)
def zero_run_iou_blocks(dt_cnts, dt_c0, dt_c1, dt_area, dt_zero, gt_cnts, gt_c0, gt_c1, gt_zero, gt_crowd,
                        blk_dt0, blk_ndt, blk_gt0, blk_ngt, iou_off, ious, b_start, b_stop):
    """Recompute, with :func:`pycoco_rle_iou`, the entries of ``mask_iou_blocks``' output where the
    detection or the ground truth has a zero-length run after its first count (``*_zero``):
    there pycocotools' walk can stop early and its IoU differs from the true one."""
    for b in range(b_start, b_stop):
        nd = blk_ndt[b]
        ng = blk_ngt[b]
        off = iou_off[b]
        for d in range(nd):
            di = blk_dt0[b] + d
            for g in range(ng):
                gi = blk_gt0[b] + g
                if dt_zero[di] or gt_zero[gi]:
                    ious[off + d * ng + g] = pycoco_rle_iou(dt_cnts, dt_c0[di], dt_c1[di], gt_cnts, gt_c0[gi],
                                                            gt_c1[gi], gt_crowd[gi], dt_area[di])


@njit(cache=True, nogil=True)
def box_iou_blocks(dt_box, gt_box, gt_crowd, blk_dt0, blk_ndt, blk_gt0, blk_ngt, iou_off, ious, b_start, b_stop):
    """Box IoU (``maskApi.c`` ``bbIou``, boxes ``[x, y, w, h]``) in the same layout as ``mask_iou_blocks``."""
    for b in range(b_start, b_stop):
        nd = blk_ndt[b]
        ng = blk_ngt[b]
        off = iou_off[b]
        for g in range(ng):
            gi = blk_gt0[b] + g
            gx = gt_box[gi, 0]
            gy = gt_box[gi, 1]
            gw = gt_box[gi, 2]
            gh = gt_box[gi, 3]
            ga = gw * gh
            for d in range(nd):
                di = blk_dt0[b] + d
                dx = dt_box[di, 0]
                dy = dt_box[di, 1]
                dw = dt_box[di, 2]
                dh = dt_box[di, 3]
                da = dw * dh
                v = 0.0
                w = min(dw + dx, gw + gx) - max(dx, gx)
                if w > 0:
                    h = min(dh + dy, gh + gy) - max(dy, gy)
                    if h > 0:
                        inter = w * h
                        u = da if gt_crowd[gi] else da + ga - inter
                        v = inter / u
                ious[off + d * ng + g] = v


@njit(cache=True, nogil=True)
def match_blocks(ious, iou_off, blk_dt0, blk_ndt, blk_gt0, blk_ngt, blk_out0,
                 gt_area, gt_crowd, gt_idnz, dt_area, area_rng, iou_thrs, codes, npig, b_start, b_stop):
    """Greedy matching of blocks ``b_start..b_stop`` for every area range and IoU threshold.

    Writes ``codes[blk_out0[b] + d, a, t]`` (FP / TP / IGNORED) and ``npig[b, a]`` (ground truth
    not ignored in area range ``a``). ``gt_idnz`` is False for a ground truth whose annotation id
    is 0: pycocotools stores the matched id and tests it for non-zero, so such a match counts as
    unmatched (replicated).
    """
    A = area_rng.shape[0]
    T = iou_thrs.shape[0]
    for b in range(b_start, b_stop):
        nd = blk_ndt[b]
        ng = blk_ngt[b]
        g0 = blk_gt0[b]
        d0 = blk_dt0[b]
        o0 = blk_out0[b]
        off = iou_off[b]
        ignore = np.zeros(ng, np.bool_)
        order = np.empty(ng, np.int64)
        taken = np.zeros(ng, np.bool_)
        for a in range(A):
            lo = area_rng[a, 0]
            hi = area_rng[a, 1]
            k = 0
            for g in range(ng):
                ar = gt_area[g0 + g]
                ignore[g] = gt_crowd[g0 + g] or ar < lo or ar > hi
                if not ignore[g]:
                    order[k] = g
                    k += 1
            npig[b, a] = k
            for g in range(ng):
                if ignore[g]:
                    order[k] = g
                    k += 1
            for t in range(T):
                thr = min(iou_thrs[t], 1 - 1e-10)
                taken[:] = False
                for d in range(nd):
                    best = thr
                    m = -1
                    for gi in range(ng):
                        g = order[gi]
                        if taken[g] and not gt_crowd[g0 + g]:
                            continue
                        if m > -1 and not ignore[m] and ignore[g]:
                            break
                        v = ious[off + d * ng + g]
                        if v < best:
                            continue
                        best = v
                        m = g
                    dar = dt_area[d0 + d]
                    outside = dar < lo or dar > hi
                    if m == -1:
                        code = IGNORED if outside else FP
                    else:
                        taken[m] = True
                        if ignore[m]:
                            code = IGNORED
                        elif gt_idnz[g0 + m]:
                            code = TP
                        else:
                            code = IGNORED if outside else FP
                    codes[o0 + d, a, t] = code


@njit(cache=True, nogil=True)
def accumulate(cat_blk0, blk_dt0, blk_ndt, blk_npig, scores, codes, rank, rec_thrs, max_dets, precision, recall):
    """COCOeval.accumulate over categories: ``precision[T, R, K, A, M]``, ``recall[T, K, A, M]``.

    Blocks of category ``k`` are ``cat_blk0[k]..cat_blk0[k+1]``, in ascending image id order; a
    block's detections ``blk_dt0[b] .. + blk_ndt[b]`` are in descending score order and
    ``rank`` is each detection's position in its block (maxDets keeps ``rank < m``). Detections of
    a category are stably sorted by descending score (block order breaks ties, as pycocotools'
    concatenation + mergesort does). A category with no block, or no non-ignored ground truth in
    an area range, keeps ``-1``. Precision ``tp / (tp + fp + eps)`` is made monotone from the right
    and sampled at the first detection reaching each recall threshold (0 past the last).
    """
    T = codes.shape[2]
    A = codes.shape[1]
    K = cat_blk0.shape[0] - 1
    M = max_dets.shape[0]
    R = rec_thrs.shape[0]
    eps = np.spacing(1.0)
    for k in range(K):
        b0 = cat_blk0[k]
        b1 = cat_blk0[k + 1]
        if b1 == b0:
            continue
        n = 0
        for b in range(b0, b1):
            n += blk_ndt[b]
        idx = np.empty(n, np.int64)
        neg = np.empty(n, np.float64)
        j = 0
        for b in range(b0, b1):
            for d in range(blk_ndt[b]):
                idx[j] = blk_dt0[b] + d
                neg[j] = -scores[blk_dt0[b] + d]
                j += 1
        order = np.argsort(neg, kind="mergesort")
        # the category's detections in score order, their codes contiguous (n, A, T)
        lc = np.empty((n, A, T), np.uint8)
        lrank = np.empty(n, np.int64)
        for j in range(n):
            di = idx[order[j]]
            lrank[j] = rank[di]
            for a in range(A):
                for t in range(T):
                    lc[j, a, t] = codes[di, a, t]
        ctp = np.zeros(T, np.int64)
        cfp = np.zeros(T, np.int64)
        rc = np.empty((T, n), np.float64)
        pr = np.empty((T, n), np.float64)
        for a in range(A):
            npig = 0
            for b in range(b0, b1):
                npig += blk_npig[b, a]
            if npig == 0:
                continue
            for mi in range(M):
                md = max_dets[mi]
                ctp[:] = 0
                cfp[:] = 0
                nd = 0
                for j in range(n):
                    if lrank[j] >= md:
                        continue
                    for t in range(T):
                        c = lc[j, a, t]
                        if c == TP:
                            ctp[t] += 1
                        elif c == FP:
                            cfp[t] += 1
                        tpf = np.float64(ctp[t])
                        fpf = np.float64(cfp[t])
                        rc[t, nd] = tpf / npig
                        pr[t, nd] = tpf / (fpf + tpf + eps)
                    nd += 1
                for t in range(T):
                    recall[t, k, a, mi] = rc[t, nd - 1] if nd > 0 else 0.0
                    for j in range(nd - 1, 0, -1):
                        if pr[t, j] > pr[t, j - 1]:
                            pr[t, j - 1] = pr[t, j]
                    j = 0
                    for r in range(R):
                        while j < nd and rc[t, j] < rec_thrs[r]:
                            j += 1
                        precision[t, r, k, a, mi] = pr[t, j] if j < nd else 0.0


@njit(cache=True, nogil=True)
def rle_to_bbox(cnts, cnt_start, heights, widths, boxes):
    """``maskApi.c`` ``rleToBbox`` of every mask -> ``[x, y, w, h]`` (see ``_rle_box``)."""
    n = cnt_start.shape[0] - 1
    for i in range(n):
        x, y, bw, bh = _rle_box(cnts, cnt_start[i], cnt_start[i + 1], np.int64(heights[i]), np.int64(widths[i]))
        boxes[i, 0] = x
        boxes[i, 1] = y
        boxes[i, 2] = bw
        boxes[i, 3] = bh


# ------------------------------------------------------------------ results JSON fast path

_KEY_IMAGE = np.frombuffer(b"image_id", np.uint8).copy()
_KEY_CATEGORY = np.frombuffer(b"category_id", np.uint8).copy()
_KEY_SCORE = np.frombuffer(b"score", np.uint8).copy()
_KEY_SEGM = np.frombuffer(b"segmentation", np.uint8).copy()
_KEY_BBOX = np.frombuffer(b"bbox", np.uint8).copy()
_KEY_SIZE = np.frombuffer(b"size", np.uint8).copy()
_KEY_COUNTS = np.frombuffer(b"counts", np.uint8).copy()


@njit(cache=True, nogil=True)
def _ws(buf, p):
    n = buf.shape[0]
    while p < n and (buf[p] == 32 or buf[p] == 10 or buf[p] == 13 or buf[p] == 9):
        p += 1
    return p


@njit(cache=True, nogil=True)
def _key_is(buf, s, e, key):
    if e - s != key.shape[0]:
        return False
    for i in range(key.shape[0]):
        if buf[s + i] != key[i]:
            return False
    return True


@njit(cache=True, nogil=True)
def _string_end(buf, p):
    """``p`` at an opening quote: index after the closing quote, or -1 (invalid / control char)."""
    n = buf.shape[0]
    p += 1
    while p < n:
        c = buf[p]
        if c == 34:
            return p + 1
        if c == 92:
            if p + 1 >= n:
                return -1
            e = buf[p + 1]
            if e == 117:  # \uXXXX
                if p + 5 >= n:
                    return -1
                for q in range(p + 2, p + 6):
                    h = buf[q]
                    if not (48 <= h <= 57 or 65 <= h <= 70 or 97 <= h <= 102):
                        return -1
                p += 6
                continue
            if not (e == 34 or e == 92 or e == 47 or e == 98 or e == 102 or e == 110 or e == 114 or e == 116):
                return -1
            p += 2
            continue
        if c < 32 or c >= 128:  # control characters are invalid; non-ASCII: left to the general parser
            return -1
        p += 1
    return -1


@njit(cache=True, nogil=True)
def _number_end(buf, p):
    """JSON number grammar ``-?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?`` from ``p``: its end, or -1."""
    n = buf.shape[0]
    if p < n and buf[p] == 45:
        p += 1
    if p >= n or buf[p] < 48 or buf[p] > 57:
        return -1
    if buf[p] == 48:
        p += 1
    else:
        while p < n and 48 <= buf[p] <= 57:
            p += 1
    if p < n and buf[p] == 46:
        p += 1
        if p >= n or buf[p] < 48 or buf[p] > 57:
            return -1
        while p < n and 48 <= buf[p] <= 57:
            p += 1
    if p < n and (buf[p] == 101 or buf[p] == 69):
        p += 1
        if p < n and (buf[p] == 43 or buf[p] == 45):
            p += 1
        if p >= n or buf[p] < 48 or buf[p] > 57:
            return -1
        while p < n and 48 <= buf[p] <= 57:
            p += 1
    return p


@njit(cache=True, nogil=True)
def _int_value(buf, p):
    """A JSON integer (no fraction or exponent, at most 18 digits) -> (value, end); end -1 if not."""
    e = _number_end(buf, p)
    if e < 0:
        return 0, -1
    neg = buf[p] == 45
    s = p + 1 if neg else p
    if e - s > 18:
        return 0, -1
    v = np.int64(0)
    for i in range(s, e):
        c = buf[i]
        if c < 48 or c > 57:
            return 0, -1  # '.', 'e': not an integer literal
        v = v * 10 + (c - 48)
    return (-v if neg else v), e


@njit(cache=True, nogil=True)
def _skip_value(buf, p):
    """End of a scalar JSON value at ``p`` (string, number, true/false/null), or -1."""
    n = buf.shape[0]
    if p >= n:
        return -1
    c = buf[p]
    if c == 34:
        return _string_end(buf, p)
    if c == 123 or c == 91:
        return -1  # nested values under unknown keys: left to the general parser
    if c == 116 or c == 110:  # true / null
        if p + 4 <= n and ((buf[p] == 116 and buf[p + 1] == 114 and buf[p + 2] == 117 and buf[p + 3] == 101)
                           or (buf[p] == 110 and buf[p + 1] == 117 and buf[p + 2] == 108 and buf[p + 3] == 108)):
            return p + 4
        return -1
    if c == 102:  # false
        if p + 5 <= n and buf[p + 1] == 97 and buf[p + 2] == 108 and buf[p + 3] == 115 and buf[p + 4] == 101:
            return p + 5
        return -1
    return _number_end(buf, p)


@njit(cache=True, nogil=True)
def scan_results_json(buf, img, cat, score_s, score_e, hw, cnt_s, cnt_e):
    """Scan a COCO results file ``[{image_id, category_id, segmentation: {size, counts}, score}, ...]``.

    A strict fast path for the common form (any key order, whitespace and extra keys with scalar
    values allowed): integer ids, a JSON-number score, compressed-RLE ``segmentation`` with integer
    ``size`` and a ``counts`` string whose only escape is ``\\\\``, and no ``bbox``. Fills the arrays
    (score and counts as byte spans) and returns ``(n, ok, bound)`` where ``bound`` is the number of
    characters ``'0'..'O'`` in all counts (an upper bound on the number of run lengths). ``ok`` is
    False for anything else — other forms, invalid JSON, NaN, duplicate keys — and the caller then
    uses the general JSON parser (which also produces the error messages).
    """
    n_buf = buf.shape[0]
    cap = img.shape[0]
    bound = 0
    p = _ws(buf, 0)
    if p >= n_buf or buf[p] != 91:
        return 0, False, 0
    p = _ws(buf, p + 1)
    n = 0
    if p < n_buf and buf[p] == 93:
        p = _ws(buf, p + 1)
        return 0, p == n_buf, 0
    while True:
        if p >= n_buf or buf[p] != 123 or n >= cap:
            return n, False, bound
        p = _ws(buf, p + 1)
        seen = 0  # bits: 1 image, 2 category, 4 score, 8 segmentation
        while True:
            if p >= n_buf or buf[p] != 34:
                return n, False, bound
            ke = _string_end(buf, p)
            if ke < 0:
                return n, False, bound
            ks = p + 1
            for q in range(ks, ke - 1):
                if buf[q] == 92:
                    return n, False, bound  # escaped key: leave it to the general parser
            p = _ws(buf, ke)
            if p >= n_buf or buf[p] != 58:
                return n, False, bound
            p = _ws(buf, p + 1)
            if _key_is(buf, ks, ke - 1, _KEY_IMAGE):
                if seen & 1:
                    return n, False, bound
                v, p = _int_value(buf, p)
                if p < 0:
                    return n, False, bound
                img[n] = v
                seen |= 1
            elif _key_is(buf, ks, ke - 1, _KEY_CATEGORY):
                if seen & 2:
                    return n, False, bound
                v, p = _int_value(buf, p)
                if p < 0:
                    return n, False, bound
                cat[n] = v
                seen |= 2
            elif _key_is(buf, ks, ke - 1, _KEY_SCORE):
                if seen & 4:
                    return n, False, bound
                e = _number_end(buf, p)
                if e < 0:
                    return n, False, bound
                score_s[n] = p
                score_e[n] = e
                p = e
                seen |= 4
            elif _key_is(buf, ks, ke - 1, _KEY_SEGM):
                if seen & 8 or p >= n_buf or buf[p] != 123:
                    return n, False, bound
                p = _ws(buf, p + 1)
                sseen = 0
                while True:
                    if p >= n_buf or buf[p] != 34:
                        return n, False, bound
                    se = _string_end(buf, p)
                    if se < 0:
                        return n, False, bound
                    ss = p + 1
                    p = _ws(buf, se)
                    if p >= n_buf or buf[p] != 58:
                        return n, False, bound
                    p = _ws(buf, p + 1)
                    if _key_is(buf, ss, se - 1, _KEY_SIZE) and not (sseen & 1):
                        if p >= n_buf or buf[p] != 91:
                            return n, False, bound
                        h, p = _int_value(buf, _ws(buf, p + 1))
                        if p < 0:
                            return n, False, bound
                        p = _ws(buf, p)
                        if p >= n_buf or buf[p] != 44:
                            return n, False, bound
                        w, p = _int_value(buf, _ws(buf, p + 1))
                        if p < 0:
                            return n, False, bound
                        p = _ws(buf, p)
                        if p >= n_buf or buf[p] != 93:
                            return n, False, bound
                        p += 1
                        hw[n, 0] = h
                        hw[n, 1] = w
                        sseen |= 1
                    elif _key_is(buf, ss, se - 1, _KEY_COUNTS) and not (sseen & 2):
                        if p >= n_buf or buf[p] != 34:
                            return n, False, bound
                        e = _string_end(buf, p)
                        if e < 0:
                            return n, False, bound
                        q = p + 1
                        while q < e - 1:
                            c = buf[q]
                            if c == 92:
                                if buf[q + 1] != 92:
                                    return n, False, bound
                                q += 2
                                continue
                            if 48 <= c < 80:
                                bound += 1
                            q += 1
                        cnt_s[n] = p + 1
                        cnt_e[n] = e - 1
                        p = e
                        sseen |= 2
                    else:
                        return n, False, bound
                    p = _ws(buf, p)
                    if p < n_buf and buf[p] == 44:
                        p = _ws(buf, p + 1)
                        continue
                    if p < n_buf and buf[p] == 125:
                        p += 1
                        break
                    return n, False, bound
                if sseen != 3:
                    return n, False, bound
                seen |= 8
            elif _key_is(buf, ks, ke - 1, _KEY_BBOX):
                return n, False, bound  # bbox decides areas: the general path handles it
            else:
                p = _skip_value(buf, p)
                if p < 0:
                    return n, False, bound
            p = _ws(buf, p)
            if p < n_buf and buf[p] == 44:
                p = _ws(buf, p + 1)
                continue
            if p < n_buf and buf[p] == 125:
                p += 1
                break
            return n, False, bound
        if seen != 15:
            return n, False, bound
        n += 1
        p = _ws(buf, p)
        if p < n_buf and buf[p] == 44:
            p = _ws(buf, p + 1)
            continue
        if p < n_buf and buf[p] == 93:
            p = _ws(buf, p + 1)
            return n, p == n_buf, bound
        return n, False, bound
