// libpq, PostgreSQL's C client, from Debian's libpq-dev (headers in /usr/include/postgresql,
// found through pkg-config). Only the ArchiveStore module imports it.
#include <libpq-fe.h>
