// SQLite's C API, from Debian's libsqlite3-dev. Only the ArchiveStore module imports it.
#include <sqlite3.h>
