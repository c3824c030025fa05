// Opens libpq.so.5 on the first call and forwards to it (see include/CPostgres.h for why).
#include "CPostgres.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static struct {
    PGconn *(*connectdbParams)(const char *const *, const char *const *, int);
    ConnStatusType (*status)(const PGconn *);
    char *(*errorMessage)(const PGconn *);
    void (*finish)(PGconn *);
    PGresult *(*execParams)(PGconn *, const char *, int, const Oid *, const char *const *, const int *, const int *, int);
    ExecStatusType (*resultStatus)(const PGresult *);
    char *(*resultErrorMessage)(const PGresult *);
    char *(*cmdTuples)(PGresult *);
    void (*clear)(PGresult *);
} pq;
static int loaded;  // 1 when every function was found
static char loadError[512] = "libpq was not loaded";
static pthread_once_t once = PTHREAD_ONCE_INIT;

#define FIND(field, name)                                                                     \
    if (!(*(void **)&pq.field = dlsym(handle, name))) {                                       \
        snprintf(loadError, sizeof loadError, "cannot use libpq.so.5: %s not found\n", name); \
        return;                                                                               \
    }

static void load(void) {
    void *handle = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *why = dlerror();
        snprintf(loadError, sizeof loadError, "cannot load libpq.so.5 (install libpq5): %s\n", why ? why : "?");
        return;
    }
    FIND(connectdbParams, "PQconnectdbParams")
    FIND(status, "PQstatus")
    FIND(errorMessage, "PQerrorMessage")
    FIND(finish, "PQfinish")
    FIND(execParams, "PQexecParams")
    FIND(resultStatus, "PQresultStatus")
    FIND(resultErrorMessage, "PQresultErrorMessage")
    FIND(cmdTuples, "PQcmdTuples")
    FIND(clear, "PQclear")
    loaded = 1;
}

static int ready(void) {
    pthread_once(&once, load);
    return loaded;
}

PGconn *lazy_PQconnectdbParams(const char *const *keywords, const char *const *values, int expandDbname) {
    return ready() ? pq.connectdbParams(keywords, values, expandDbname) : NULL;
}

ConnStatusType lazy_PQstatus(const PGconn *conn) { return conn && ready() ? pq.status(conn) : CONNECTION_BAD; }

char *lazy_PQerrorMessage(const PGconn *conn) { return conn && ready() ? pq.errorMessage(conn) : loadError; }

void lazy_PQfinish(PGconn *conn) {
    if (conn && ready()) pq.finish(conn);
}

PGresult *lazy_PQexecParams(
    PGconn *conn, const char *command, int nParams, const Oid *paramTypes, const char *const *paramValues,
    const int *paramLengths, const int *paramFormats, int resultFormat) {
    return conn && ready()
        ? pq.execParams(conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats, resultFormat)
        : NULL;
}

ExecStatusType lazy_PQresultStatus(const PGresult *res) { return res && ready() ? pq.resultStatus(res) : PGRES_FATAL_ERROR; }

char *lazy_PQresultErrorMessage(const PGresult *res) { return res && ready() ? pq.resultErrorMessage(res) : ""; }

char *lazy_PQcmdTuples(PGresult *res) { return res && ready() ? pq.cmdTuples(res) : ""; }

void lazy_PQclear(PGresult *res) {
    if (res && ready()) pq.clear(res);
}
