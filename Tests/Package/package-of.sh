# Sourced by the Tests/Package scripts.
# package_of FILE: the Debian package that ships FILE. dpkg knows a file by the path its package
# ships, and /lib and /usr/lib are one directory on a merged-/usr system: try both spellings.
package_of() {
    for path in "$1" "$(readlink -f "$1")"; do
        for spelling in "$path" "${path#/usr}" "/usr$path"; do
            found=$(dpkg -S "$spelling" 2>/dev/null) && { echo "${found%%:*}" | cut -d, -f1; return 0; }
        done
    done
    return 1
}
