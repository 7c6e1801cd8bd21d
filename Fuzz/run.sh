#!/usr/bin/env bash
# Builds and runs the fuzz targets (libFuzzer) for a given time each.
#   Fuzz/run.sh [SECONDS_PER_TARGET] [TARGET ...]
#   FUZZ_RUNS=1000000 Fuzz/run.sh 3600     (stop each target after that many executions)
# C runtime targets (clang -fsanitize=fuzzer,address,undefined): safetensors_header,
# npy_header, json. Swift targets (swiftc -sanitize=fuzzer,address): tensor_files,
# ir_text, spec_reader. Seed corpora come from Models/, Tests/PassTests and the fixtures;
# new inputs go to .build/fuzz/corpus/TARGET, crashes to .build/fuzz/crashes/. Exits
# non-zero if any target finds a crash, leak, timeout or sanitizer report.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors_header npy_header json tensor_files ir_text spec_reader)
CLANG=${CLANG:-$(command -v clang || echo /opt/swift/usr/bin/clang)}
SWIFTC=${SWIFTC:-swiftc}
out=.build/fuzz
mkdir -p "$out/crashes"
runtime=Sources/AttendRuntime

build_c() {
    local target=$1
    [ "$out/$target" -nt "Fuzz/runtime/$target.c" ] && [ -z "$(find $runtime -newer "$out/$target" -name '*.[ch]')" ] && return
    "$CLANG" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -std=c11 \
        -I "$runtime" -I "$runtime/include" "Fuzz/runtime/$target.c" \
        $(ls $runtime/*.c | grep -v standalone.c) -lm -lpthread -o "$out/$target" 2>&1 | grep -v "Cannot export local symbol" || true
}

# Swift modules built by hand (SwiftPM has no libFuzzer mode): AttendBasic, AttendIR, and
# for the spec reader CYaml, Yams and AttendSpec (Yams from SwiftPM's checkout).
swift_module() {
    local name=$1; shift
    [ -f "$out/lib$name.a" ] && [ -z "$(find "$@" -newer "$out/lib$name.a" -name '*.swift' 2>/dev/null)" ] && return
    "$SWIFTC" -sanitize=fuzzer,address -parse-as-library -O -g -D SWIFT_PACKAGE -module-name "$name" -emit-module -emit-module-path "$out/$name.swiftmodule" \
        -emit-library -static -I "$out" -Xcc -I"$out/cyaml" $(find "$@" -name '*.swift' | sort) -o "$out/lib$name.a" 2>&1 | grep -v "warning" || true
}

build_swift() {
    local target=$1 libraries=()
    swift_module AttendBasic Sources/AttendBasic
    case $target in
        ir_text) swift_module AttendIR Sources/AttendIR; libraries=(-lAttendIR);;
        spec_reader)
            [ -d .build/checkouts/Yams ] || swift package resolve
            mkdir -p "$out/cyaml"
            if [ ! -f "$out/libCYaml.a" ]; then
                for source in .build/checkouts/Yams/Sources/CYaml/src/*.c; do
                    "$CLANG" -c -O1 -g -fsanitize=address -I .build/checkouts/Yams/Sources/CYaml/include "$source" -o "$out/cyaml/$(basename "$source" .c).o"
                done
                ar rcs "$out/libCYaml.a" "$out"/cyaml/*.o
                cp .build/checkouts/Yams/Sources/CYaml/include/*.h .build/checkouts/Yams/Sources/CYaml/include/module.modulemap "$out/cyaml/"
            fi
            swift_module Yams .build/checkouts/Yams/Sources/Yams
            swift_module AttendSpec Sources/AttendSpec
            libraries=(-lAttendSpec -lYams -lCYaml);;
    esac
    libraries+=(-lAttendBasic) # static libraries after those that use them
    "$SWIFTC" -sanitize=fuzzer,address -parse-as-library -O -g -I "$out" -Xcc -I"$out/cyaml" -L "$out" \
        Fuzz/swift/Harness.swift "Fuzz/swift/$target.swift" "${libraries[@]}" -o "$out/$target" 2>&1 | grep -v "warning" || true
}

# Eight little-endian bytes of an unsigned integer.
le64() { local v=$1 k; for k in 0 1 2 3 4 5 6 7; do printf "\\x$(printf %02x $(( (v >> (8 * k)) & 255 )))"; done; }

# An .npy file (version 1.0) of zeros: descr, shape tuple text, element size, element count.
npy_file() {
    local text="{'descr': '$1', 'fortran_order': False, 'shape': $2, }"
    local pad=$(( 63 - (10 + ${#text}) % 64 ))
    local header="$text$(printf '%*s' $pad '')"
    local n=$(( ${#header} + 1 ))
    printf '\x93NUMPY\x01\x00'; printf "\\x$(printf %02x $(( n & 255 )))\\x$(printf %02x $(( n >> 8 )))"; printf '%s\n' "$header"
    head -c $(( $3 * $4 )) /dev/zero
}

seed() {
    local - # head closing a pipe early is expected here
    set +o pipefail
    local target=$1 dir=$out/seeds/$target
    [ -d "$dir" ] && return
    mkdir -p "$dir"
    local k=0 file length size
    case $target in
        safetensors_header|json)
            for file in $(find Tests/Fixtures -name '*.safetensors' | sort | head -200); do
                length=$(od -An -t u8 -N8 "$file" | tr -d ' ')
                size=$(wc -c < "$file")
                if [ "$target" = json ]; then tail -c +9 "$file" | head -c "$length" > "$dir/json$k"
                else { le64 $(( size - 8 - length )); tail -c +9 "$file" | head -c "$length"; } > "$dir/st$k"; fi
                k=$((k + 1))
            done;;
        npy_header|tensor_files)
            for shape in "()" "(0,)" "(3,)" "(2, 3)" "(1, 3, 4, 4)" "(2, 1, 1, 1, 1, 1, 1, 2)"; do
                local count=$(( $(echo "$shape" | tr -d '(), ' | sed 's/./&*/g; s/\*$//; s/^$/1/') ))
                for dtype in "<f4 4" "<f8 8" "|u1 1"; do
                    set -- $dtype
                    npy_file "$1" "$shape" "$2" "$count" > "$dir/npy$k"
                    if [ "$target" = npy_header ]; then tail -c +11 "$dir/npy$k" | head -c -$(( $2 * count )) > "$dir/h$k"; rm "$dir/npy$k"; fi
                    k=$((k + 1))
                done
            done
            if [ "$target" = tensor_files ]; then
                find Tests/Fixtures -name '*.safetensors' -size -64k | sort | head -200 | while read -r file; do cp "$file" "$dir/st$RANDOM$RANDOM"; done
            fi;;
        ir_text) cp Tests/PassTests/*.ir "$dir/";;
        spec_reader) for file in $(find Models -name '*.yaml'); do cp "$file" "$dir/$(echo "$file" | tr / _)"; done;;
    esac
}

status=0
for target in "${targets[@]}"; do
    leaks=1
    case $target in
        safetensors_header|npy_header|json) build_c "$target";;
        # LeakSanitizer cannot follow Swift's tagged pointers (enum payloads keep tag bits in
        # a pointer's spare bits), so it reports the op registry's static tables as leaked;
        # the Swift targets run with ASan's other checks, the C targets with leak checks too.
        tensor_files|ir_text|spec_reader) build_swift "$target"; leaks=0;;
        *) echo "unknown target '$target'" >&2; exit 2;;
    esac
    seed "$target"
    mkdir -p "$out/corpus/$target"
    echo "== $target ($seconds s)"
    if ! ASAN_OPTIONS="detect_leaks=$leaks${ASAN_OPTIONS:+:$ASAN_OPTIONS}" "$out/$target" "$out/corpus/$target" "$out/seeds/$target" -max_total_time="$seconds" ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} -timeout=10 -rss_limit_mb=2048 \
            -max_len=65536 -detect_leaks=$leaks -artifact_prefix="$out/crashes/$target-" -print_final_stats=1 > "$out/$target.log" 2>&1; then
        status=1
        echo "$target FAILED: see $out/$target.log and $out/crashes/" >&2
        tail -30 "$out/$target.log" >&2
    fi
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|Done [0-9]+ runs" "$out/$target.log" || true
done
exit $status
