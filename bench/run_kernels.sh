#!/usr/bin/env bash
# Runs the CPU kernels on every runner in one go and prints one table: native (gcc -O2),
# cirrus's interpreter, cirrus's LLVM JIT tier (CIRRUS_TIER=jit), wabt's wasm-interp and V8
# (Node.js, TurboFan; Liftoff too, for reference), with the ratios interp/native, jit/native,
# wasm-interp/interp and V8/native and their geometric means. The JIT's compile time (LLVM,
# per module) is its own column, apart from the run times.
# Every runner's checksum is compared with native's; a mismatch is an error (exit 1).
# See bench/README.md.
#
#   bench/run_kernels.sh BUILD_DIR [--reps N] [--stat min|median] [--clock cpu|wall]
#                                  [--only k1,k2] [--no-interp] [--no-jit] [--no-liftoff-column]
#                                  [--n N]
#   bench/run_kernels.sh BUILD_DIR --callgrind KERNEL [--n N]
#   bench/run_kernels.sh BUILD_DIR --smoke     (cirrus, both tiers, against native at small
#                                               sizes; a ctest)
set -euo pipefail

usage() {
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

[[ $# -ge 1 ]] || usage
build_dir=$1
shift
reps=5
stat=min
clock=cpu
only=""
run_interp=1
run_jit=1
run_liftoff=1
callgrind_kernel=""
n_override=""
smoke=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --reps) reps=$2; shift 2 ;;
        --stat) stat=$2; shift 2 ;;
        --clock) clock=$2; shift 2 ;;
        --only) only=",$2,"; shift 2 ;;
        --no-interp) run_interp=0; shift ;;
        --no-jit) run_jit=0; shift ;;
        --no-liftoff-column) run_liftoff=0; shift ;;
        --callgrind) callgrind_kernel=$2; shift 2 ;;
        --n) n_override=$2; shift 2 ;;
        --smoke) smoke=1; shift ;;
        *) usage ;;
    esac
done

[[ $stat == min || $stat == median ]] || usage
[[ $clock == cpu || $clock == wall ]] || usage
# The runner-line key of the number that goes in the table (see timing.h).
stat_key=${stat}_ms
[[ $clock == cpu ]] && stat_key=cpu_$stat_key

script_dir=$(cd "$(dirname "$0")" && pwd)
bench_dir=$build_dir/bench
native=$bench_dir/kernels_native
cirrus=$bench_dir/kernels_cirrus
wasm_dir=$bench_dir/wasm
harness=$script_dir/v8_harness.mjs

die() { echo "run_kernels: $*" >&2; exit 1; }
note() { echo "$*" >&2; }
[[ -x $native ]] || die "$native not found: build it (cmake --build $build_dir --target kernels_native bench_kernels_wasm)"
[[ -d $wasm_dir ]] || die "$wasm_dir not found: build target bench_kernels_wasm (needs clang-19)"
have_cirrus=0
[[ -x $cirrus ]] && have_cirrus=1

# The value of `key=` in a runner line.
field() { sed -n "s/.*\b$2=\([^ ]*\).*/\1/p" <<<"$1"; }

# Runs wasm-interp on a module; sets interp_out (its output) and interp_ms (wall or CPU
# time of the whole process, by --clock). Fails when wasm-interp does.
run_wasm_interp() {
    local times rc=0
    times=$(mktemp)
    TIMEFORMAT='%3R %3U %3S'
    { time wasm-interp --run-all-exports "$1" >"$times.out" 2>&1; } 2>"$times" || rc=$?
    interp_out=$(cat "$times.out")
    interp_ms=$(awk -v clock="$clock" '{ printf "%.3f", 1000 * (clock == "cpu" ? $2 + $3 : $1) }' "$times")
    rm -f "$times" "$times.out"
    return $rc
}

# ---------------------------------------------------------------------------------------------
# callgrind mode: instruction counts inside run(n) only, native against cirrus.
if [[ -n $callgrind_kernel ]]; then
    command -v valgrind >/dev/null || die "valgrind not installed"
    ((have_cirrus)) || die "$cirrus not built"
    k=$callgrind_kernel
    n=${n_override:-$("$native" --list | awk -v k="$k" '$1 == k { print $2 }')}
    [[ -n $n ]] || die "no kernel named $k"
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
    count() { # $1: toggle-collect pattern, rest: command
        local pattern=$1
        shift
        valgrind --tool=callgrind --callgrind-out-file="$out/cg.%p" --toggle-collect="$pattern" \
            "$@" 2>"$out/log" >"$out/stdout" || { cat "$out/log" >&2; die "valgrind failed"; }
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out/log" | tail -1
    }
    note "callgrind: $k n=$n (native, then cirrus; this takes a while)"
    ir_native=$(count "${k}_run" "$native" "$k" "$n" 1)
    sum_native=$(field "$(cat "$out/stdout")" checksum)
    ir_cirrus=$(count '*Store::call*' "$cirrus" "$wasm_dir/$k.wasm" "$n" 1)
    sum_cirrus=$(field "$(cat "$out/stdout")" checksum)
    [[ $sum_native == "$sum_cirrus" ]] || die "checksum mismatch: native $sum_native, cirrus $sum_cirrus"
    awk -v k="$k" -v n="$n" -v a="$ir_native" -v b="$ir_cirrus" 'BEGIN {
        printf "%-8s n=%-9s Ir native %14d  Ir cirrus %14d  cirrus/native %.2f\n", k, n, a, b, b / a }'
    exit 0
fi

# ---------------------------------------------------------------------------------------------
# smoke mode: every kernel at its small size, cirrus checked against native. Fast in any build
# type, so it runs under ctest and catches an engine that computes something else.
if ((smoke)); then
    ((have_cirrus)) || die "$cirrus not built"
    failed=0
    while read -r k _ n; do
        expect=$(field "$("$native" "$k" "$n" 1)" checksum)
        for tier in interp jit; do
            if ! line=$(CIRRUS_TIER=$tier "$cirrus" "$wasm_dir/$k.wasm" "$n" 1 2>&1); then
                echo "FAIL $k n=$n: cirrus ($tier) failed: $line"
                failed=1
            elif [[ $(field "$line" checksum) != "$expect" ]]; then
                echo "FAIL $k n=$n: cirrus ($tier) checksum $(field "$line" checksum), native $expect"
                failed=1
            elif [[ $tier == jit && $(field "$line" tier) != jit ]]; then
                echo "FAIL $k n=$n: CIRRUS_TIER=jit did not select the JIT"
                failed=1
            else
                echo "ok   $k n=$n $tier checksum $expect ($(field "$line" min_ms) ms)"
            fi
        done
    done < <("$native" --list)
    exit $failed
fi

# ---------------------------------------------------------------------------------------------
# Table mode.
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build_dir/CMakeCache.txt" 2>/dev/null || true)
[[ $build_type == Release ]] || note "warning: $build_dir is a '$build_type' build; cirrus numbers want Release"
((have_cirrus)) || note "warning: $cirrus not built; the cirrus column is left empty"
have_interp=0
if ((run_interp)); then
    command -v wasm-interp >/dev/null && have_interp=1 || note "warning: wasm-interp not found"
fi
have_node=0
command -v node >/dev/null && have_node=1 || note "warning: node not found; no V8 column"

# wasm-interp start-up (process, decode, instantiate a trivial module): best of three.
interp_startup_ms=0
if ((have_interp)); then
    for attempt in 1 2 3; do
        run_wasm_interp "$wasm_dir/startup.wasm" || die "wasm-interp fails on startup.wasm: $interp_out"
        interp_startup_ms=$(awk -v a="$interp_ms" -v b="$interp_startup_ms" -v first="$attempt" \
            'BEGIN { print (first == 1 || a < b) ? a : b }')
    done
fi

rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
status=0

# Runs one wasm runner command; prints "<ms> <checksum> <load_ms> <jit_ms>" or "- - - -".
wasm_runner() {
    local line
    if line=$("$@" 2>/dev/null) && [[ -n $(field "$line" "$stat_key") ]]; then
        local load jit
        load=$(awk -v c="$(field "$line" compile_ms)" -v i="$(field "$line" instantiate_ms)" \
            'BEGIN { printf "%.3f", c + i }')
        jit=$(field "$line" jit_ms)
        echo "$(field "$line" "$stat_key") $(field "$line" checksum) $load ${jit:--}"
    else
        note "  failed: $*"
        echo "- - - -"
    fi
}

while read -r k n _; do
    [[ -z $only || $only == *",$k,"* ]] || continue
    [[ -n $n_override ]] && n=$n_override
    wasm=$wasm_dir/$k.wasm
    note "$k (n=$n)"
    line=$("$native" "$k" "$n" "$reps") || die "native $k failed"
    native_ms=$(field "$line" "$stat_key")
    expect=$(field "$line" checksum)
    note "  native      $native_ms ms  checksum $expect"
    mismatches=""
    check() { # $1: runner name, $2: its checksum ("-" when it did not run)
        if [[ $2 != - && $2 != "$expect" ]]; then
            note "  ERROR: $1 checksum $2, native $expect"
            mismatches+="$1,"
            status=1
        elif [[ $2 == - && $3 == ran ]]; then
            mismatches+="$1-failed,"
            status=1
        fi
    }

    cirrus_ms=- cirrus_load=-
    if ((have_cirrus)); then
        read -r cirrus_ms sum cirrus_load _ < <(wasm_runner env CIRRUS_TIER=interp "$cirrus" "$wasm" "$n" "$reps")
        note "  cirrus      $cirrus_ms ms  (compile+instantiate $cirrus_load ms)"
        check cirrus "$sum" ran
    fi
    jit_ms=- jit_compile=-
    if ((have_cirrus && run_jit)); then
        read -r jit_ms sum _ jit_compile < <(wasm_runner env CIRRUS_TIER=jit "$cirrus" "$wasm" "$n" "$reps")
        note "  cirrus-jit  $jit_ms ms  (LLVM compile $jit_compile ms)"
        check cirrus-jit "$sum" ran
    fi

    interp_ms=-
    if ((have_interp)); then
        if [[ -n $n_override ]]; then
            note "  wasm-interp skipped: it can only run the module's default n (bench())"
        else
            if run_wasm_interp "$wasm"; then
                interp_ms=$(awk -v t="$interp_ms" -v s="$interp_startup_ms" 'BEGIN { printf "%.3f", t - s }')
                sum=$(sed -n 's/^bench() => i64:\([0-9]*\)$/\1/p' <<<"$interp_out")
                note "  wasm-interp $interp_ms ms (process time less $interp_startup_ms ms start-up)"
                check wasm-interp "${sum:--}" ran
            else
                note "  wasm-interp failed: $interp_out"
                check wasm-interp - ran
            fi
        fi
    fi

    v8_ms=- liftoff_ms=-
    if ((have_node)); then
        read -r v8_ms sum _ _ < <(wasm_runner node --no-liftoff "$harness" "$wasm" "$n" "$reps" 1)
        note "  V8 TurboFan $v8_ms ms"
        check v8 "$sum" ran
        if ((run_liftoff)); then
            read -r liftoff_ms sum _ _ < <(wasm_runner node --liftoff-only "$harness" "$wasm" "$n" "$reps" 1)
            note "  V8 Liftoff  $liftoff_ms ms"
            check v8-liftoff "$sum" ran
        fi
    fi
    echo "$k $n $native_ms $cirrus_ms $interp_ms $v8_ms $liftoff_ms $cirrus_load ${mismatches:-ok} $jit_ms $jit_compile" >>"$rows"
done < <("$native" --list)

# ---------------------------------------------------------------------------------------------
echo
commit=$(git -C "$script_dir" rev-parse --short HEAD 2>/dev/null || echo '?')
# The build compiles the working tree: say so when the engine there is not the commit's.
engine_dirs=(src/wasm src/support include/cirrus/wasm include/cirrus/support)
[[ -n $(git -C "$script_dir/.." status --porcelain -- "${engine_dirs[@]}" 2>/dev/null) ]] &&
    commit+=" + uncommitted engine changes (${engine_dirs[*]})"
echo "cirrus CPU kernels — $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit, build '$build_type'"
echo "cpu: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1) ($(nproc) cores), load average $(cut -d' ' -f1-3 /proc/loadavg)"
native_cc=$(sed -n 's/^CMAKE_C_COMPILER:FILEPATH=//p' "$build_dir/CMakeCache.txt")
echo "native: $("$native_cc" --version | head -1) -O2 -fno-math-errno; wasm: clang-19 -O2; wasm-interp $( ((have_interp)) && wasm-interp --version || echo -); node $( ((have_node)) && node --version || echo -)"
interp_note="not run"
((have_interp)) && interp_note="one process, less ${interp_startup_ms} ms start-up"
echo "times: $stat of $reps calls (ms, $clock time); wasm-interp: $interp_note; load: cirrus (interpreter) decode + validate + instantiate (ms); jit-compile: LLVM translate + optimise + codegen of the module (ms, not in the jit column)"
echo
awk -v liftoff="$run_liftoff" '
function ratio(a, b) { return (a == "-" || b == "-" || b <= 0) ? "-" : a / b }
function fmt_ratio(r) { return r == "-" ? "-" : sprintf("%.2fx", r) }
function fmt_ms(v) { return v == "-" ? "-" : sprintf("%.1f", v) }
function add(name, r) { if (r != "-") { logsum[name] += log(r); count[name]++ } }
function geomean(name) { return count[name] ? exp(logsum[name] / count[name]) : "-" }
BEGIN {
    head = sprintf("%-8s %9s %9s %9s %9s %11s %9s", "kernel", "n", "native", "interp", "jit", "wasm-interp", "V8")
    if (liftoff) head = head sprintf(" %9s", "Liftoff")
    head = head sprintf(" | %13s %10s %18s %9s", "interp/native", "jit/native", "wasm-interp/interp", "V8/native")
    if (liftoff) head = head sprintf(" %14s", "Liftoff/native")
    head = head sprintf(" | %8s %11s  %s", "load", "jit-compile", "check")
    print head
    gsub(/./, "-", head); print head
}
{
    k = $1; n = $2; nat = $3; cir = $4; itp = $5; v8 = $6; lift = $7; load = $8; chk = $9
    jit = $10; jitc = $11
    r1 = ratio(cir, nat); r2 = ratio(itp, cir); r3 = ratio(v8, nat); r4 = ratio(lift, nat)
    r5 = ratio(jit, nat)
    add("r1", r1); add("r2", r2); add("r3", r3); add("r4", r4); add("r5", r5)
    line = sprintf("%-8s %9s %9s %9s %9s %11s %9s", k, n, fmt_ms(nat), fmt_ms(cir), fmt_ms(jit), fmt_ms(itp), fmt_ms(v8))
    if (liftoff) line = line sprintf(" %9s", fmt_ms(lift))
    line = line sprintf(" | %13s %10s %18s %9s", fmt_ratio(r1), fmt_ratio(r5), fmt_ratio(r2), fmt_ratio(r3))
    if (liftoff) line = line sprintf(" %14s", fmt_ratio(r4))
    line = line sprintf(" | %8s %11s  %s", load == "-" ? "-" : sprintf("%.2f", load), jitc == "-" ? "-" : sprintf("%.1f", jitc), chk)
    print line
}
END {
    line = sprintf("%-8s %9s %9s %9s %9s %11s %9s", "geomean", "", "", "", "", "", "")
    if (liftoff) line = line sprintf(" %9s", "")
    line = line sprintf(" | %13s %10s %18s %9s", fmt_ratio(geomean("r1")), fmt_ratio(geomean("r5")), fmt_ratio(geomean("r2")), fmt_ratio(geomean("r3")))
    if (liftoff) line = line sprintf(" %14s", fmt_ratio(geomean("r4")))
    print line
    print ""
    g1 = geomean("r1"); g2 = geomean("r2"); g5 = geomean("r5")
    printf "target cirrus-jit/native geomean <= 8x:          %s\n", g5 == "-" ? "not measured" : (g5 <= 8 ? sprintf("met (%.2fx)", g5) : sprintf("NOT met (%.2fx)", g5))
    printf "(cirrus interpreter/native geomean:               %s)\n", g1 == "-" ? "not measured" : sprintf("%.2fx", g1)
    printf "target wasm-interp/cirrus-interp geomean >= 5x:  %s\n", g2 == "-" ? "not measured" : (g2 >= 5 ? sprintf("met (%.2fx)", g2) : sprintf("NOT met (%.2fx)", g2))
}' "$rows"
((status == 0)) || echo "ERROR: some runner disagreed with native or failed (see the check column)"
exit $status
