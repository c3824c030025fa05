#!/bin/sh
# Builds the Debian package with Debian's own tools (dpkg-shlibdeps, dpkg-deb).
#
#   deploy/build-deb.sh BINARY VERSION MANDIR OUTDIR
#
# BINARY   the release binary (`make release`); stripped here, the original is left alone
# VERSION  the package version (`make deb` takes it from tembridgeVersion in Sources)
# MANDIR   the man pages generate-manual wrote from the argument parser (*.1)
# OUTDIR   where tembridge_VERSION_amd64.deb is written
# DEB_COMPRESSION (environment) dpkg-deb's compression options; default "-Zxz" (the smallest
#          package); Tests/Package uses a fast one for the packages it installs and throws away.
#
# Depends: is what dpkg-shlibdeps finds for the libraries the binary links (NEEDED);
# Recommends: the libraries the binary opens on first use (libpq, libmosquitto), found by their
# sonames in the binary and mapped to the packages that ship them with dpkg -S.
set -eu

binary=$1
version=$2
mandir=$3
outdir=$4
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
arch=$(dpkg --print-architecture)

work=$(mktemp -d "${TMPDIR:-/tmp}/tembridge-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/debian/tembridge
doc=$root/usr/share/doc/tembridge

umask 022
install -d "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/tembridge" \
    "$root/etc/default" "$doc/examples" "$root/usr/share/man/man1" \
    "$root/usr/share/tembridge/grafana" "$root/usr/share/tembridge/prometheus" "$root/usr/share/lintian/overrides"

# The binary, stripped as dh_strip does.
install -m 0755 "$binary" "$root/usr/bin/tembridge"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/tembridge"

install -m 0644 "$here/tembridge.service" "$root/lib/systemd/system/tembridge.service"
install -m 0644 "$here/tembridge.default" "$root/etc/default/tembridge"
{
    echo "# An example map for two meters behind one serial-to-Ethernet converter. Start from it:"
    echo "#   cp /etc/tembridge/example.yaml /etc/tembridge/plant.yaml"
    echo "#   tembridge check --mapping /etc/tembridge/plant.yaml && systemctl start tembridge"
    echo "# More examples: /usr/share/doc/tembridge/examples; the reference: man tembridge."
    echo "#"
    cat "$top/mapping/examples/two-meters-one-converter.yaml"
} >"$root/etc/tembridge/example.yaml"
chmod 0644 "$root/etc/tembridge/example.yaml"

install -m 0644 "$top"/mapping/examples/*.yaml "$doc/examples/"
install -m 0644 "$top/mapping/default.yaml" "$doc/examples/demo.yaml"
install -m 0644 "$here/grafana/tembridge.json" "$root/usr/share/tembridge/grafana/"
install -m 0644 "$here/prometheus/tembridge.rules.yml" "$root/usr/share/tembridge/prometheus/"
install -m 0644 "$here/debian/copyright" "$doc/copyright"
install -m 0644 "$here/debian/lintian-overrides" "$root/usr/share/lintian/overrides/tembridge"
for f in README.md docs/MAPPING.md docs/CONSOLE.md docs/ARCHIVE-STORE.md docs/METERS.md; do
    gzip -9n <"$top/$f" >"$doc/$(basename "$f").gz"
done
# The changelog (a native package: changelog.gz), dated by the newest commit so that
# the same tree builds the same package.
date=$(git -C "$top" log -1 --format=%cD 2>/dev/null || date -R)
{
    echo "tembridge ($version) unstable; urgency=medium"
    echo
    echo "  * Release $version; see README.md for what it does."
    echo
    echo " -- tembridge maintainers <maintainers@tembridge.invalid>  $date"
} | gzip -9n >"$doc/changelog.gz"

for page in "$mandir"/*.1; do
    gzip -9n <"$page" >"$root/usr/share/man/man1/$(basename "$page").gz"
done

# Depends from the binary's NEEDED libraries.
printf 'Source: tembridge\n\nPackage: tembridge\nArchitecture: any\n' >"$work/debian/control"
# (dpkg-shlibdeps warns that a binary outside an installed tree may differ from the installed one:
# here they are the same file.)
depends=$(cd "$work" && dpkg-shlibdeps -O -e debian/tembridge/usr/bin/tembridge 2>"$work/shlibdeps.err" |
    sed -n 's/^shlibs:Depends=//p')
grep -v 'binaries to analyze should already be installed' "$work/shlibdeps.err" >&2 || true
[ -n "$depends" ] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

# Recommends from the sonames the binary opens with dlopen on first use.
recommends=""
for soname in $(strings "$root/usr/bin/tembridge" | grep -E '^lib(pq|mosquitto)\.so\.[0-9]+$' | sort -u); do
    path=$(ldconfig -p | awk -v s="$soname" '$1 == s && /x86-64/ { print $NF; exit }')
    [ -n "$path" ] || { echo "build-deb: $soname is not installed here, cannot name its package" >&2; exit 1; }
    pkg=$(dpkg -S "$(readlink -f "$path")" | head -1 | cut -d: -f1)
    recommends="${recommends:+$recommends, }$pkg"
done
[ -n "$recommends" ] || { echo "build-deb: no libpq/libmosquitto soname found in the binary" >&2; exit 1; }

size=$(du -k -s --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" \
    -e "s/@DEPENDS@/$depends/" -e "s/@RECOMMENDS@/$recommends/" \
    "$here/debian/control.in" >"$root/DEBIAN/control"
install -m 0644 "$here/debian/conffiles" "$root/DEBIAN/conffiles"
install -m 0755 "$here/debian/postinst" "$here/debian/prerm" "$here/debian/postrm" "$root/DEBIAN/"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) \
    >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"

mkdir -p "$outdir"
deb=$outdir/tembridge_${version}_${arch}.deb
# shellcheck disable=SC2086
dpkg-deb --root-owner-group ${DEB_COMPRESSION:--Zxz} --build "$root" "$deb" >/dev/null
echo "$deb"
