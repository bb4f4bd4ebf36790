# Sourced by the loop scripts: `stage NAME COMMAND...` runs the command and appends its
# wall-clock seconds to $OUT/timings.txt.
stage() {
    name=$1; shift
    echo "== $name: $*" >&2
    started=$(date +%s)
    "$@"
    echo "$name $(( $(date +%s) - started )) s" >> "$OUT/timings.txt"
}
