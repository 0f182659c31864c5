#!/usr/bin/env bash
# Regression gate: train two small models on the built-in `shapes` dataset with fixed seeds and
# check their results against leaderboards/shapes-semantic.json.
#
#   scripts/ci-leaderboard.sh               # check (exit 0 ok, 1 regression, 2 bad input/failure)
#   scripts/ci-leaderboard.sh --seed-board  # (re)write the board entries from this run, render README
#
# Environment: SEGBENCH (command, default "python -m segbench"), BOARD (default shapes-semantic),
# MODELS (default "unet fcn8s"), EPOCHS (default 3), SEED (default 0), TOLERANCE (percentage
# points, default 0.5), DEVICE (default cpu: the board's numbers come from CPU runs),
# OUT (folder for run dirs and result records, default a temp dir), LEADERBOARD_DIR (default
# leaderboards).
set -euo pipefail
cd "$(dirname "$0")/.."

SEGBENCH=${SEGBENCH:-"python -m segbench"}
BOARD=${BOARD:-shapes-semantic}
MODELS=${MODELS:-"unet fcn8s"}
EPOCHS=${EPOCHS:-3}
SEED=${SEED:-0}
TOLERANCE=${TOLERANCE:-0.5}
DEVICE=${DEVICE:-cpu}
LEADERBOARD_DIR=${LEADERBOARD_DIR:-leaderboards}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/segbench-ci.XXXXXX")}
MODE=check
case "${1:-}" in
  "") ;;
  --seed-board) MODE=seed ;;
  *) echo "usage: $0 [--seed-board]" >&2; exit 2 ;;
esac
export NUMBA_CACHE_DIR=${NUMBA_CACHE_DIR:-$PWD/.numba_cache}
# One intra-op thread: CPU float reductions then do not depend on the machine's core count, so a
# board seeded on one machine reproduces on another (2 vs 1 threads moved mIoU by ~3 pp).
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
mkdir -p "$OUT"

for model in $MODELS; do
  cmd="segbench run $model shapes --preset lite --epochs $EPOCHS --seed $SEED --device $DEVICE"
  echo "== $cmd"
  # a failed training run is not a regression verdict: exit 2
  if ! $SEGBENCH run "$model" shapes --preset lite --epochs "$EPOCHS" --seed "$SEED" --device "$DEVICE" \
      --out "$OUT/$model" --json "$OUT/$model.json" --format markdown; then
    echo "error: $cmd failed" >&2
    exit 2
  fi
  if [ "$MODE" = seed ]; then
    $SEGBENCH leaderboard add "$OUT/$model.json" --board "$BOARD" --dir "$LEADERBOARD_DIR" --replace --command "$cmd"
  fi
done

if [ "$MODE" = seed ]; then
  $SEGBENCH leaderboard render --dir "$LEADERBOARD_DIR"
  $SEGBENCH leaderboard show "$BOARD" --dir "$LEADERBOARD_DIR" --format markdown
  exit 0
fi

status=0
for model in $MODELS; do
  echo "== segbench leaderboard check $model ($BOARD, tolerance $TOLERANCE pp)"
  rc=0
  $SEGBENCH leaderboard check "$OUT/$model.json" --board "$BOARD" --dir "$LEADERBOARD_DIR" \
    --tolerance "$TOLERANCE" --format markdown || rc=$?
  # keep the worst verdict: 2 (bad input) over 1 (regression) over 0
  if [ "$rc" -gt "$status" ]; then status=$rc; fi
done
exit "$status"
