#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this script):
#   1. set-up (Debian packages and pinned models, only what is missing);
#   2. a short libFuzzer run over the container parsers, decoders and the ONNX reader (Scripts/fuzz.sh, 60 s;
#      after the ONNX fixtures are generated: its ONNX seeds are those small models);
#   3. one release build of everything (testing enabled, so the numeric tests run the real models at speed);
#   4. the benchmark regression check: every stage's median as a ratio to an sgemm anchor timed in the same
#      run, against Benchmarks/baseline.json; a stage more than 2× its baseline ratio fails; then the
#      steady-state allocations per call of each stage and of the ONNX executor against their limits
#      (Scripts/count-allocations.sh);
#   5. the unit, parity and end-to-end tests (swift test, on the build of step 3; the ONNX executor's parity with
#      onnxruntime on models Scripts/make-onnx-nets.py generates before the build) — among them the C interface
#      (CLibraryTests: installs the build's libmynaface-c.so with Scripts/install-clib.sh into a temporary prefix,
#      compiles with cc and pkg-config, runs python3 ctypes; needs cc, pkg-config, python3 and djpeg, which the set-up
#      provides) and `mynaface serve` on 127.0.0.1 against docs/openapi.yaml (ServiceTests);
#   6. the kiosk page in headless Chromium: a genuine, an impostor and a cancelled visit (Scripts/kiosk-test.sh;
#      installs Debian's chromium when missing, skips with a message when it cannot; MYNAFACE_SKIP_KIOSK=1 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/setup.sh
# The generated presentation attacks the liveness tests replay (outside the repository; needs ../shared's photos).
. Scripts/paths.sh
if [ -d ../shared/facedata ] && [ ! -f "$mynaface_cache_root/pad/manifest.tsv" ]; then
  python3 Scripts/make-pad-attacks.py --facedata ../shared/facedata --samples "$mynaface_samples" \
    --out "$mynaface_cache_root/pad" --frames 6 > /dev/null
fi
# The ONNX parity fixtures: generated models, inputs and onnxruntime's outputs (outside the repository; pinned
# numpy/onnx/onnxruntime from PyPI, Scripts/install-python-deps.sh). The tests fail when they are missing.
onnx_python="$(bash Scripts/install-python-deps.sh)"
export MYNAFACE_ONNX_FIXTURES="$mynaface_cache_root/onnx-fixtures"
if [ ! -f "$MYNAFACE_ONNX_FIXTURES/index.json" ] || [ Scripts/make-onnx-nets.py -nt "$MYNAFACE_ONNX_FIXTURES/index.json" ]; then
  "$onnx_python" Scripts/make-onnx-nets.py "$MYNAFACE_ONNX_FIXTURES"
fi
# The fuzz run (its ONNX seeds are the small generated models above: no model file is committed).
if [ "${MYNAFACE_SKIP_FUZZ:-0}" != 1 ]; then
  bash Scripts/fuzz.sh "${MYNAFACE_FUZZ_SECONDS:-60}" 2>&1 | tail -n 12
fi
# The generated random-weight embedding model of the external-model tests (docs/models.md).
MYNAFACE_TEST_MODEL="$("$onnx_python" Scripts/make-test-embedding-model.py --out "$mynaface_cache_root/test-models/test-arcface-random")"
export MYNAFACE_TEST_MODEL
flags=(-c release -Xswiftc -enable-testing --scratch-path .build-test)
build_log="$(mktemp)"
trap 'rm -f "$build_log"' EXIT
build_status=0
swift build "${flags[@]}" --build-tests > "$build_log" 2>&1 || build_status=$?
# The build's printout without the progress lines (grep finds nothing to print when the build was quiet).
grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Write|Emitting)|warning:|^ *[0-9]* *\||^ *\|' "$build_log" || [ $? -eq 1 ]
if [ "$build_status" -ne 0 ]; then
  echo "test.sh: the release build failed (exit $build_status)" >&2
  exit "$build_status"
fi
if [ "${MYNAFACE_SKIP_BENCH:-0}" != 1 ]; then
  bin="$(swift build "${flags[@]}" --show-bin-path)/mynaface"
  "$bin" bench --seconds 0.3 --min-iterations 3 --check Benchmarks/baseline.json --tolerance 2.0
  bash Scripts/count-allocations.sh "$bin" --check
  # The ONNX executor against onnxruntime on the generated MobileFaceNet and IResNet-50 (informative: the ratios).
  "$onnx_python" Scripts/bench-onnx.py "$bin" "$MYNAFACE_ONNX_FIXTURES" --runs 7
fi
# One test at a time: the suite mixes CPU-heavy model tests with tests that wait on a responder task or a child
# process, and on a 2-core machine parallel heavy tests can starve those waits past their time-outs.
swift test "${flags[@]}" --skip-build --no-parallel
if [ "${MYNAFACE_SKIP_KIOSK:-0}" != 1 ]; then
  bash Scripts/kiosk-test.sh
fi
