#!/bin/sh
# Man pages from the argument parser: swift-argument-parser's own generate-manual tool (what its
# `swift package generate-manual` plugin runs), built from the copy of swift-argument-parser the
# release build checked out (no network), run over the release binary: tembridge.1 and one page
# per subcommand (tembridge.serve.1, ...).
#
#   deploy/generate-manpages.sh RELEASE_SCRATCH OUTDIR
#
# The plugin itself is not used: it rebuilds every product with its own build settings, which
# here means a second release build of the whole package (tens of minutes on a small machine).
set -eu

scratch=$1
out=$2
parser=$scratch/checkouts/swift-argument-parser
[ -d "$parser" ] || { echo "generate-manpages: $parser missing: run make release first" >&2; exit 1; }
tool_scratch=$scratch/generate-manual
rm -rf "$out"
mkdir -p "$out"

swift build --package-path "$parser" --scratch-path "$tool_scratch" -c release --product generate-manual >"$out/build.log" 2>&1 || {
    cat "$out/build.log" >&2
    exit 1
}
rm -f "$out/build.log"
tool=$tool_scratch/release/generate-manual
[ -x "$tool" ] || { echo "generate-manpages: $tool was not built" >&2; exit 1; }

# Dated by the newest commit, so the same tree gives the same pages.
date=$(git log -1 --format=%cs 2>/dev/null || date +%F)
"$tool" "$scratch/release/tembridge" --multi-page --date "$date" --section 1 \
    --authors "tembridge maintainers" --output-directory "$out"
ls "$out"/*.1 >/dev/null 2>&1 || { echo "generate-manpages: no page written to $out" >&2; exit 1; }
# No page for hidden commands (shouldDisplay: false, e.g. bench-line): they are not in --help either.
"$scratch/release/tembridge" --experimental-dump-help | python3 -c '
import json, sys
def hidden(command, path):
    for sub in command.get("subcommands", []):
        name = path + [sub["commandName"]]
        if not sub.get("shouldDisplay", True):
            print(".".join(name))
        hidden(sub, name)
hidden(json.load(sys.stdin)["command"], ["tembridge"])' | while read -r page; do
    rm -f "$out/$page.1" "$out/$page".*.1
done

# A subcommand's page names itself `tembridge.serve` in NAME (what mandb/apropos and lintian can
# parse: generate-manual writes "tembridge serve", which whatis cannot read) and keeps
# `tembridge serve` wherever the command itself is shown.
for page in "$out"/tembridge.*.1; do
    [ -e "$page" ] || continue
    name=$(basename "$page" .1)
    shown=$(sed -n '/^\.Sh NAME$/{n;s/^\.Nm //p;}' "$page")
    sed -i -e "/^\.Sh NAME\$/{n;s/^\.Nm .*/.Nm $name/;}" -e "s/^\.Nm\$/.Nm $shown/" "$page"
    lexgrog "$page" >/dev/null 2>&1 || { echo "generate-manpages: whatis cannot parse $page" >&2; exit 1; }
done
