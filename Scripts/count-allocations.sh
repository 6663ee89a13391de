#!/usr/bin/env bash
# Heap allocations per call of each pipeline stage in steady state. A tiny LD_PRELOAD library counts every
# malloc/calloc/realloc/posix_memalign/aligned_alloc of the process; `mynaface bench` runs one stage 20 and
# then 180 times (after its warm-up; the bench stops at 200), and the difference divided by 160 is that
# stage's count per call (the bench's own set-up cancels out; what remains of it is a noise of up to about
# ±8 per call).
#   bash Scripts/count-allocations.sh [BIN] [--check]
# With --check, fails when a stage exceeds its limit below (CI runs this: a steady-state call must not
# allocate beyond its results; the limits leave room for the noise, not for a regression to per-layer or
# per-pixel allocations — before this check, a detection made 185 and an embedding 255).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-$(swift build -c release --show-bin-path)/mynaface}"
check="${2:-}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/count.c" <<'EOF'
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
extern void *__libc_malloc(size_t), *__libc_calloc(size_t, size_t), *__libc_realloc(void *, size_t),
    *__libc_memalign(size_t, size_t);
static atomic_long count;
void *malloc(size_t s) { atomic_fetch_add(&count, 1); return __libc_malloc(s); }
void *calloc(size_t n, size_t s) { atomic_fetch_add(&count, 1); return __libc_calloc(n, s); }
void *realloc(void *p, size_t s) { atomic_fetch_add(&count, 1); return __libc_realloc(p, s); }
int posix_memalign(void **p, size_t a, size_t s) { atomic_fetch_add(&count, 1); *p = __libc_memalign(a, s); return *p ? 0 : 12; }
void *aligned_alloc(size_t a, size_t s) { atomic_fetch_add(&count, 1); return __libc_memalign(a, s); }
__attribute__((destructor)) static void report(void) {
  char b[64]; int k = snprintf(b, sizeof b, "ALLOCATIONS %ld\n", atomic_load(&count)); write(2, b, k);
}
EOF
"${CC:-$(command -v cc || command -v clang)}" -shared -fPIC -O2 -o "$dir/count.so" "$dir/count.c"

total() {  # total allocations of a bench run of stage $1, $2 times
  LD_PRELOAD="$dir/count.so" "$bin" bench --stages "$1" --seconds 0 --min-iterations "$2" 2>&1 >/dev/null |
    awk '/^ALLOCATIONS/ { print $2 }'
}

# stage id, limit per call, what the call returns (its unavoidable allocations)
stages=(
  "jpeg_decode_1280x720 40 the image; libjpeg's own memory pools"
  "detect_1280x720 16 the faces array"
  "landmarks 16 none"
  "align 16 the chip"
  "embed_1 16 the descriptor"
  "verify_frame 60 decoded frame, chip and its mirror, two descriptors and their mean, result; libjpeg's pools"
  "verify_attempt_3 180 three frames as verify_frame, the reports, the fused descriptor"
)
failed=0
printf '%-24s %10s %8s  %s\n' stage "per call" limit "returned / inherent"
for line in "${stages[@]}"; do
  read -r id limit what <<<"$line"
  a=$(total "$id" 20); b=$(total "$id" 180)
  per=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", (b - a) / 160 }')
  printf '%-24s %10s %8s  %s\n' "$id" "$per" "$limit" "$what"
  if awk -v p="$per" -v l="$limit" 'BEGIN { exit !(p > l) }'; then failed=1; fi
done
# The ONNX graph executor (`mynaface bench-onnx` on the generated nets, when MYNAFACE_ONNX_FIXTURES names them):
# a steady-state call allocates nothing (the limit leaves room for the bench's own timing array).
if [ -n "${MYNAFACE_ONNX_FIXTURES:-}" ] && [ -f "$MYNAFACE_ONNX_FIXTURES/index.json" ]; then
  onnx_total() {  # total allocations of bench-onnx on model $1, $2 threads, $3 runs
    LD_PRELOAD="$dir/count.so" "$bin" bench-onnx --fixtures "$MYNAFACE_ONNX_FIXTURES" --models "$1" --threads "$2" \
      --runs "$3" 2>&1 >/dev/null | awk '/^ALLOCATIONS/ { print $2 }'
  }
  for model in mobilefacenet iresnet50; do
    for threads in 1 2; do
      a=$(onnx_total "$model" "$threads" 20); b=$(onnx_total "$model" "$threads" 120)
      per=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (b - a) / 100 }')
      printf '%-24s %10s %8s  %s\n' "onnx_${model}_${threads}t" "$per" 0.5 "none (the embedding is written into the caller's buffer)"
      if awk -v p="$per" 'BEGIN { exit !(p > 0.5) }'; then failed=1; fi
    done
  done
fi
if [ "$check" = --check ] && [ "$failed" = 1 ]; then
  echo "count-allocations: a stage allocates more per call than its limit" >&2
  exit 1
fi
