// libpq, PostgreSQL's C client, loaded only when a map forwards to PostgreSQL (`upstream`):
// linking it would load libpq and its chain (Kerberos, LDAP, GnuTLS, …, 3.4 MB resident) into
// every gateway. The few calls the ArchiveStore module makes go through these `lazy_` wrappers,
// which open libpq.so.5 on first use. Types and values as libpq-fe.h (PostgreSQL 15) declares
// them; only what tembridge uses.
#ifndef TEMBRIDGE_CPOSTGRES_H
#define TEMBRIDGE_CPOSTGRES_H

typedef unsigned int Oid;
typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

typedef enum {
    CONNECTION_OK,
    CONNECTION_BAD,
} ConnStatusType;

typedef enum {
    PGRES_EMPTY_QUERY = 0,
    PGRES_COMMAND_OK,
    PGRES_TUPLES_OK,
    PGRES_COPY_OUT,
    PGRES_COPY_IN,
    PGRES_BAD_RESPONSE,
    PGRES_NONFATAL_ERROR,
    PGRES_FATAL_ERROR,
} ExecStatusType;

/// PQconnectdbParams; NULL when libpq cannot be loaded (then `lazy_PQerrorMessage(NULL)` says why).
PGconn *lazy_PQconnectdbParams(const char *const *keywords, const char *const *values, int expandDbname);
/// PQstatus; CONNECTION_BAD for NULL.
ConnStatusType lazy_PQstatus(const PGconn *conn);
/// PQerrorMessage; for NULL, why libpq could not be loaded.
char *lazy_PQerrorMessage(const PGconn *conn);
/// PQfinish; nothing for NULL.
void lazy_PQfinish(PGconn *conn);
PGresult *lazy_PQexecParams(
    PGconn *conn, const char *command, int nParams, const Oid *paramTypes, const char *const *paramValues,
    const int *paramLengths, const int *paramFormats, int resultFormat);
/// PQresultStatus; PGRES_FATAL_ERROR for NULL.
ExecStatusType lazy_PQresultStatus(const PGresult *res);
char *lazy_PQresultErrorMessage(const PGresult *res);
char *lazy_PQcmdTuples(PGresult *res);
/// PQclear; nothing for NULL.
void lazy_PQclear(PGresult *res);

#endif
