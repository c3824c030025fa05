/*
 * tembridge bench: Modbus TCP load generator and start-up timer, on libmodbus's client API.
 *
 *   loadgen load HOST PORT CONNECTIONS SECONDS [UNITS]
 *       CONNECTIONS threads, each with its own connection, doing FC03 reads of 125 registers
 *       at address 0 back to back for SECONDS; connection i asks unit 1 + i % UNITS (default 1).
 *       All connect first, then all start together. Prints one line:
 *       requests=N rps=R p50_us=X p99_us=Y max_us=Z errors=E connections=C
 *       (errors: exception answers, and timeouts (5 s) or broken connections, after which the
 *       connection is reopened; latencies are those of the normal answers)
 *
 *   loadgen startup PORT UNIT TIMEOUT_MS -- COMMAND ARGS...
 *       Forks and execs COMMAND, and from that moment loops connect + one FC03 read of 125
 *       registers at address 0 of UNIT on 127.0.0.1:PORT. Prints
 *       first_response_ms=A first_data_ms=B pid=P
 *       (first response: any Modbus answer, exception included; first data: a normal answer),
 *       then leaves COMMAND running (the caller stops it).
 *
 *   loadgen rtu DEVICE BAUD SECONDS
 *       One Modbus RTU master (8N1, unit 1) on the serial port DEVICE doing FC03 reads of 125
 *       registers at address 0 back to back for SECONDS; prints the same line as `load`.
 *
 * Build: gcc -O2 -pthread loadgen.c $(pkg-config --cflags --libs libmodbus) -o loadgen
 */
#include <errno.h>
#include <modbus.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define QUANTITY 125

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct worker {
    pthread_t thread;
    modbus_t *ctx;
    uint32_t *lat_ns; /* one latency per request */
    size_t count, capacity;
    long errors;
};

static pthread_barrier_t start_barrier;
static volatile uint64_t deadline_ns;

static void *run_worker(void *arg)
{
    struct worker *w = arg;
    uint16_t regs[QUANTITY];
    pthread_barrier_wait(&start_barrier);
    for (;;) {
        uint64_t t0 = now_ns();
        if (t0 >= deadline_ns) break;
        int rc = modbus_read_registers(w->ctx, 0, QUANTITY, regs);
        uint64_t t1 = now_ns();
        if (rc != QUANTITY) {
            w->errors++;
            if (errno == EMBXSFAIL || errno == EMBXGPATH || errno == EMBXILADD) continue; /* exception answers */
            /* timeout or broken connection: a late answer must not be taken for the next one */
            modbus_close(w->ctx);
            if (modbus_connect(w->ctx) == -1) break;
        }
        if (w->count == w->capacity) {
            w->capacity = w->capacity ? w->capacity * 2 : 65536;
            w->lat_ns = realloc(w->lat_ns, w->capacity * sizeof *w->lat_ns);
            if (!w->lat_ns) { perror("realloc"); exit(2); }
        }
        uint64_t d = t1 - t0;
        w->lat_ns[w->count++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
    }
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static modbus_t *connect_to(const char *host, int port, int unit)
{
    modbus_t *ctx = modbus_new_tcp(host, port);
    if (!ctx) return NULL;
    modbus_set_slave(ctx, unit);
    modbus_set_response_timeout(ctx, 5, 0);
    if (modbus_connect(ctx) == -1) {
        modbus_free(ctx);
        return NULL;
    }
    return ctx;
}

static int load(const char *host, int port, int n, double seconds, int units)
{
    struct worker *workers = calloc((size_t)n, sizeof *workers);
    for (int i = 0; i < n; i++) {
        for (int attempt = 0; attempt < 50 && !workers[i].ctx; attempt++) {
            workers[i].ctx = connect_to(host, port, 1 + i % units);
            if (!workers[i].ctx) usleep(20000);
        }
        if (!workers[i].ctx) {
            fprintf(stderr, "loadgen: cannot connect to %s:%d (connection %d): %s\n", host, port, i,
                    modbus_strerror(errno));
            return 1;
        }
    }
    pthread_barrier_init(&start_barrier, NULL, (unsigned)n + 1);
    for (int i = 0; i < n; i++) pthread_create(&workers[i].thread, NULL, run_worker, &workers[i]);
    uint64_t start = now_ns();
    deadline_ns = start + (uint64_t)(seconds * 1e9);
    pthread_barrier_wait(&start_barrier);
    size_t total = 0;
    long errors = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(workers[i].thread, NULL);
        total += workers[i].count;
        errors += workers[i].errors;
    }
    uint64_t elapsed = now_ns() - start;
    uint32_t *all = malloc((total ? total : 1) * sizeof *all);
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        memcpy(all + k, workers[i].lat_ns, workers[i].count * sizeof *all);
        k += workers[i].count;
        modbus_close(workers[i].ctx);
        modbus_free(workers[i].ctx);
        free(workers[i].lat_ns);
    }
    qsort(all, total, sizeof *all, cmp_u32);
    double p50 = total ? all[(size_t)(0.50 * (double)(total - 1))] / 1e3 : 0;
    double p99 = total ? all[(size_t)(0.99 * (double)(total - 1))] / 1e3 : 0;
    double pmax = total ? all[total - 1] / 1e3 : 0;
    printf("requests=%zu rps=%.0f p50_us=%.1f p99_us=%.1f max_us=%.1f errors=%ld connections=%d\n", total,
           (double)total / ((double)elapsed / 1e9), p50, p99, pmax, errors, n);
    free(all);
    free(workers);
    return total ? 0 : 1;
}

static int startup(int port, int unit, int timeout_ms, char **argv)
{
    uint64_t start = now_ns();
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 2; }
    if (pid == 0) {
        execvp(argv[0], argv);
        perror("exec");
        _exit(127);
    }
    double first_response = -1, first_data = -1;
    uint16_t regs[QUANTITY];
    while (first_data < 0) {
        double ms = (double)(now_ns() - start) / 1e6;
        if (ms > timeout_ms) break;
        modbus_t *ctx = modbus_new_tcp("127.0.0.1", port);
        modbus_set_slave(ctx, unit);
        modbus_set_response_timeout(ctx, 1, 0);
        if (modbus_connect(ctx) == 0) {
            int rc = modbus_read_registers(ctx, 0, QUANTITY, regs);
            double at = (double)(now_ns() - start) / 1e6;
            if (rc == QUANTITY || errno == EMBXSFAIL || errno == EMBXGPATH || errno == EMBXILADD) {
                if (first_response < 0) first_response = at;
                if (rc == QUANTITY) first_data = at;
            }
            modbus_close(ctx);
        } else {
            usleep(500); /* not listening yet */
        }
        modbus_free(ctx);
    }
    printf("first_response_ms=%.1f first_data_ms=%.1f pid=%d\n", first_response, first_data, (int)pid);
    fflush(stdout);
    return first_data < 0 ? 1 : 0;
}

static int load_rtu(const char *device, int baud, double seconds)
{
    struct worker w = {0};
    w.ctx = modbus_new_rtu(device, baud, 'N', 8, 1);
    if (!w.ctx || modbus_set_slave(w.ctx, 1) == -1 || modbus_connect(w.ctx) == -1) {
        fprintf(stderr, "loadgen: cannot open %s: %s\n", device, modbus_strerror(errno));
        return 1;
    }
    modbus_set_response_timeout(w.ctx, 1, 0);
    pthread_barrier_init(&start_barrier, NULL, 1);
    uint64_t start = now_ns();
    deadline_ns = start + (uint64_t)(seconds * 1e9);
    run_worker(&w);
    uint64_t elapsed = now_ns() - start;
    qsort(w.lat_ns, w.count, sizeof *w.lat_ns, cmp_u32);
    double p50 = w.count ? w.lat_ns[(size_t)(0.50 * (double)(w.count - 1))] / 1e3 : 0;
    double p99 = w.count ? w.lat_ns[(size_t)(0.99 * (double)(w.count - 1))] / 1e3 : 0;
    double pmax = w.count ? w.lat_ns[w.count - 1] / 1e3 : 0;
    printf("requests=%zu rps=%.0f p50_us=%.1f p99_us=%.1f max_us=%.1f errors=%ld connections=1\n", w.count,
           (double)w.count / ((double)elapsed / 1e9), p50, p99, pmax, w.errors);
    modbus_close(w.ctx);
    modbus_free(w.ctx);
    free(w.lat_ns);
    return w.count ? 0 : 1;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc >= 6 && strcmp(argv[1], "load") == 0)
        return load(argv[2], atoi(argv[3]), atoi(argv[4]), atof(argv[5]), argc > 6 ? atoi(argv[6]) : 1);
    if (argc >= 5 && strcmp(argv[1], "rtu") == 0) return load_rtu(argv[2], atoi(argv[3]), atof(argv[4]));
    if (argc >= 7 && strcmp(argv[1], "startup") == 0 && strcmp(argv[5], "--") == 0)
        return startup(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), argv + 6);
    fprintf(stderr, "usage: loadgen load HOST PORT CONNECTIONS SECONDS [UNITS]\n"
                    "       loadgen startup PORT UNIT TIMEOUT_MS -- COMMAND ARGS...\n"
                    "       loadgen rtu DEVICE BAUD SECONDS\n");
    return 2;
}
