#!/bin/sh
# The Debian package on this machine: lintian, install, check from /usr/bin, the unit verified
# and enabled, Depends equal to the binary's NEEDED libraries, an upgrade that keeps a modified
# conffile, and a purge that leaves only what Debian policy keeps (the system user, which the
# test then removes itself if it created it). The machine is left as found, on failure too.
#
#   Tests/Package/package-test.sh BINARY MANDIR VERSION
#
# Builds VERSION and VERSION+pkgtest1 with deploy/build-deb.sh in a temporary directory. Root only.
set -eu

binary=$1
mandir=$2
version=$3
top=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "package-test: FAIL: $*" >&2; exit 1; }
say() { echo "package-test: $*"; }
. "$top/Tests/Package/package-of.sh"

[ "$(id -u)" = 0 ] || fail "needs root (dpkg -i)"
if dpkg-query -W -f='${Status}' tembridge 2>/dev/null | grep -q ' installed$'; then
    fail "a tembridge package is already installed here; the test would replace it"
fi
[ ! -e /etc/tembridge ] || fail "/etc/tembridge exists already; the test would change it"
user_before=$(getent passwd tembridge || true)
group_before=$(getent group tembridge || true)

work=$(mktemp -d "${TMPDIR:-/tmp}/package-test.XXXXXX")
cleanup() {
    if dpkg-query -W -f='${Status}' tembridge 2>/dev/null | grep -q -v 'not-installed'; then
        dpkg --purge tembridge >/dev/null 2>&1 || true
    fi
    rm -f /etc/tembridge/plant.yaml
    rmdir /etc/tembridge 2>/dev/null || true
    if [ -z "$user_before" ] && getent passwd tembridge >/dev/null; then deluser --quiet --system tembridge >/dev/null 2>&1 || true; fi
    if [ -z "$group_before" ] && getent group tembridge >/dev/null; then delgroup --quiet --system tembridge >/dev/null 2>&1 || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Fast compression: these packages are installed and thrown away (`make deb` uses xz).
export DEB_COMPRESSION="-Zgzip -z1"
deb1=$(sh "$top/deploy/build-deb.sh" "$binary" "$version" "$mandir" "$work/v1")
deb2=$(sh "$top/deploy/build-deb.sh" "$binary" "$version+pkgtest1" "$mandir" "$work/v2")
say "built $(basename "$deb1") ($(stat -c %s "$deb1") bytes) and $(basename "$deb2")"

# lintian: no errors (warnings are printed, not fatal; notes, e.g. spelling in third-party
# strings, are not printed).
lintian --fail-on error --tag-display-limit 0 "$deb1" >"$work/lintian.txt" 2>&1 || {
    cat "$work/lintian.txt"; fail "lintian reports errors"; }
grep -E '^(E|W):' "$work/lintian.txt" | sed 's/^/package-test: lintian: /' || true
say "lintian: $(grep -c '^E:' "$work/lintian.txt" || true) errors, $(grep -c '^W:' "$work/lintian.txt" || true) warnings"

# Depends: exactly the packages of the libraries the binary links (plus adduser for postinst);
# Recommends: libpq5 and libmosquitto1, opened on first use.
depends=$(dpkg-deb -f "$deb1" Depends)
recommends=$(dpkg-deb -f "$deb1" Recommends)
say "Depends: $depends"
say "Recommends: $recommends"
dep_pkgs=$(echo "$depends" | tr ',' '\n' | sed 's/(.*)//; s/ //g' | grep -v '^adduser$' | sort -u)
needed_pkgs=$(objdump -p "$binary" | awk '$1 == "NEEDED" { print $2 }' | while read -r soname; do
    path=$(ldconfig -p | awk -v s="$soname" '$1 == s && /x86-64/ { print $NF; exit }')
    [ -n "$path" ] || { echo "unresolved:$soname"; continue; }
    package_of "$path" || echo "unpackaged:$path"
done | sort -u)
[ "$dep_pkgs" = "$needed_pkgs" ] || fail "Depends ($(echo $dep_pkgs)) is not the packages of NEEDED ($(echo $needed_pkgs))"
for p in libmodbus5 libsqlite3-0; do echo "$dep_pkgs" | grep -qx "$p" || fail "Depends lacks $p"; done
for p in libpq5 libmosquitto1; do
    echo "$dep_pkgs" | grep -qx "$p" && fail "$p is in Depends: it should be opened on first use"
    echo "$recommends" | grep -q "\b$p\b" || fail "Recommends lacks $p"
done

# Install.
dpkg -i "$deb1" >"$work/dpkg-i.txt" 2>&1 || { cat "$work/dpkg-i.txt"; fail "dpkg -i $deb1"; }
say "installed $version"
[ -x /usr/bin/tembridge ] || fail "/usr/bin/tembridge missing"
/usr/bin/tembridge check --mapping /etc/tembridge/example.yaml || fail "tembridge check of the example map"
id -nG tembridge | tr ' ' '\n' | grep -qx dialout || fail "user tembridge is not in dialout"
[ "$(getent passwd tembridge | cut -d: -f3)" -lt 1000 ] || fail "tembridge is not a system user"
[ -L /etc/systemd/system/multi-user.target.wants/tembridge.service ] || fail "tembridge.service not enabled"
grep -qx 'ConditionPathExists=/etc/tembridge/plant.yaml' /lib/systemd/system/tembridge.service || fail "unit lacks ConditionPathExists"
verify=$(systemd-analyze verify /lib/systemd/system/tembridge.service 2>&1) || { echo "$verify"; fail "systemd-analyze verify"; }
[ -z "$verify" ] || { echo "$verify"; fail "systemd-analyze verify printed warnings"; }
say "systemd-analyze verify: clean; unit enabled; user tembridge in dialout"
for page in tembridge tembridge.serve tembridge.check; do
    man -w "$page" >/dev/null 2>&1 || fail "man page $page missing"
done
say "man pages: $(ls /usr/share/man/man1/tembridge*.1.gz | wc -l)"
[ "$(dpkg-query -W -f='${Conffiles}' tembridge | grep -c /)" = 2 ] || fail "expected 2 conffiles"

# Upgrade over a modified conffile and the admin's own plant.yaml.
echo "# changed by the admin" >>/etc/tembridge/example.yaml
sed -i 's/^TEMBRIDGE_OPTIONS=.*/TEMBRIDGE_OPTIONS="--log-level debug"/' /etc/default/tembridge
cp /etc/tembridge/example.yaml /etc/tembridge/plant.yaml
dpkg -i "$deb2" >"$work/dpkg-u.txt" 2>&1 </dev/null || { cat "$work/dpkg-u.txt"; fail "upgrade to $version+pkgtest1"; }
[ "$(dpkg-query -W -f='${Version}' tembridge)" = "$version+pkgtest1" ] || fail "upgrade did not install $version+pkgtest1"
tail -1 /etc/tembridge/example.yaml | grep -qx '# changed by the admin' || fail "upgrade lost the change to /etc/tembridge/example.yaml"
grep -qx 'TEMBRIDGE_OPTIONS="--log-level debug"' /etc/default/tembridge || fail "upgrade lost the change to /etc/default/tembridge"
[ ! -e /etc/tembridge/example.yaml.dpkg-new ] || fail "upgrade left example.yaml.dpkg-new"
cmp -s /etc/tembridge/example.yaml /etc/tembridge/plant.yaml || fail "upgrade touched plant.yaml"
[ -L /etc/systemd/system/multi-user.target.wants/tembridge.service ] || fail "upgrade disabled the unit"
/usr/bin/tembridge check --mapping /etc/tembridge/plant.yaml || fail "tembridge check after the upgrade"
say "upgraded to $version+pkgtest1: modified conffiles and plant.yaml kept"

# Purge: every file the package shipped is gone, as are its enablement links; kept are the
# admin's plant.yaml (with /etc/tembridge) and the system user (adduser(8), Debian practice).
dpkg-query -L tembridge | while read -r f; do [ -d "$f" ] || echo "$f"; done >"$work/files.txt"
dpkg --purge tembridge >"$work/purge.txt" 2>&1 || { cat "$work/purge.txt"; fail "dpkg --purge"; }
while read -r f; do [ ! -e "$f" ] || fail "purge left $f"; done <"$work/files.txt"
for f in /etc/default/tembridge /etc/tembridge/example.yaml /etc/systemd/system/multi-user.target.wants/tembridge.service \
    /var/lib/systemd/deb-systemd-helper-enabled/tembridge.service.dsh-also /usr/share/doc/tembridge /var/lib/tembridge; do
    [ ! -e "$f" ] || fail "purge left $f"
done
[ -z "$(find /etc/systemd /var/lib/systemd -name 'tembridge*' 2>/dev/null)" ] || fail "purge left $(find /etc/systemd /var/lib/systemd -name 'tembridge*')"
[ -e /etc/tembridge/plant.yaml ] || fail "purge removed the admin's plant.yaml"
[ "$(ls -A /etc/tembridge)" = plant.yaml ] || fail "purge left $(ls -A /etc/tembridge) in /etc/tembridge"
getent passwd tembridge >/dev/null || fail "purge removed the system user (Debian keeps it)"
dpkg-query -W -f='${Status}' tembridge 2>/dev/null | grep -q ' installed$' && fail "dpkg still lists tembridge"
say "purged: nothing left but plant.yaml (the admin's) and the system user"

cleanup
trap - EXIT
[ ! -e /etc/tembridge ] || fail "cleanup left /etc/tembridge"
[ "$(getent passwd tembridge || true)" = "$user_before" ] || fail "cleanup did not restore the tembridge user"
say "PASS (machine left as found)"
