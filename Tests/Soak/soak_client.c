/* Soak client for tembridge: N threads, each with its own libmodbus connection, read three
 * float64 integrators (energy.1, volume.1, energy.total at registers 0, 4, 8) as fast as they
 * can and check that every one of them only ever grows (a torn integrator or a response mixing
 * two polls would show a step back). The main thread samples the server's VmRSS and open
 * descriptors every 10 s.
 *
 * usage: soak_client PORT SECONDS CLIENTS SERVER_PID RSS_GROWTH_LIMIT_KIB
 * exit 0 if every check held, 1 otherwise; one summary line per check on stdout.
 */
#include <dirent.h>
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

static int port;
static volatile int stopping;

struct result {
    long reads, failures, backwards, changes;
    double worst_ms;
    char first_failure[160];
};

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static double f64(const uint16_t *r) {
    uint64_t v = (uint64_t)r[0] << 48 | (uint64_t)r[1] << 32 | (uint64_t)r[2] << 16 | r[3];
    double d;
    memcpy(&d, &v, sizeof d);
    return d;
}

static void *client(void *arg) {
    struct result *res = arg;
    modbus_t *ctx = modbus_new_tcp("127.0.0.1", port);
    modbus_set_response_timeout(ctx, 2, 0);
    if (!ctx || modbus_connect(ctx) != 0) {
        res->failures++;
        snprintf(res->first_failure, sizeof res->first_failure, "connect: %s", modbus_strerror(errno));
        return NULL;
    }
    modbus_set_slave(ctx, 1);
    double last[3] = {-1e300, -1e300, -1e300};
    uint16_t r[12];
    while (!stopping) {
        double t0 = now_s();
        int rc = modbus_read_registers(ctx, 0, 12, r);
        double ms = (now_s() - t0) * 1000;
        if (ms > res->worst_ms) res->worst_ms = ms;
        res->reads++;
        if (rc != 12) {
            if (res->failures++ == 0)
                snprintf(res->first_failure, sizeof res->first_failure, "read: %s", modbus_strerror(errno));
            if (errno == ECONNRESET || errno == EPIPE || errno == EBADF) {
                modbus_close(ctx);
                if (modbus_connect(ctx) != 0) usleep(100000);
            }
            continue;
        }
        for (int i = 0; i < 3; i++) {
            double v = f64(r + 4 * i);
            if (v < last[i]) {
                if (res->backwards++ == 0 && res->failures == 0)
                    snprintf(res->first_failure, sizeof res->first_failure,
                             "integrator %d went back: %.17g -> %.17g", i, last[i], v);
            } else if (v > last[i] && last[i] > -1e300) {
                res->changes++;
            }
            last[i] = v;
        }
    }
    modbus_close(ctx);
    modbus_free(ctx);
    return NULL;
}

static long rss_kib(int pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1) break;
    fclose(f);
    return kib;
}

static int fd_count(int pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", pid);
    DIR *d = opendir(path);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s PORT SECONDS CLIENTS SERVER_PID RSS_GROWTH_LIMIT_KIB\n", argv[0]);
        return 2;
    }
    port = atoi(argv[1]);
    int seconds = atoi(argv[2]), clients = atoi(argv[3]), pid = atoi(argv[4]);
    long limit = atol(argv[5]);
    signal(SIGPIPE, SIG_IGN);

    pthread_t threads[64];
    struct result results[64];
    if (clients < 1 || clients > 64) return 2;
    memset(results, 0, sizeof results);
    for (int i = 0; i < clients; i++) pthread_create(&threads[i], NULL, client, &results[i]);

    /* Samples at 0, 10, 20, … s; the one at 10 s (after warm-up) is the reference. */
    long first = -1, warm = -1, last = -1, max = -1;
    int fds_first = -1, fds_warm = -1, fds_last = -1, samples = 0, alive = 1;
    double start = now_s();
    for (int k = 0;; k++) {
        double due = start + 10.0 * k;
        if (due > start + seconds) due = start + seconds;
        while (now_s() < due) usleep(50000);
        long kib = rss_kib(pid);
        int fds = fd_count(pid);
        if (kib < 0) { alive = 0; break; }
        samples++;
        if (first < 0) { first = kib; fds_first = fds; }
        if (k == 1 || (warm < 0 && now_s() - start >= seconds)) { warm = kib; fds_warm = fds; }
        if (kib > max) max = kib;
        last = kib;
        fds_last = fds;
        printf("soak: t=%4.0f s VmRSS %ld KiB, fds %d\n", now_s() - start, kib, fds);
        fflush(stdout);
        if (now_s() - start >= seconds) break;
    }
    stopping = 1;
    struct result total = {0};
    const char *why = "";
    for (int i = 0; i < clients; i++) {
        pthread_join(threads[i], NULL);
        total.reads += results[i].reads;
        total.failures += results[i].failures;
        total.backwards += results[i].backwards;
        total.changes += results[i].changes;
        if (results[i].worst_ms > total.worst_ms) total.worst_ms = results[i].worst_ms;
        if (!*why && results[i].first_failure[0]) why = results[i].first_failure;
    }
    int ok = alive && total.failures == 0 && total.backwards == 0 && total.changes > 100
             && last - warm <= limit && fds_last <= fds_warm;
    printf("soak: %d s, %d clients: %ld reads, %ld failed, %ld integrators went back, %ld increases seen, "
           "slowest read %.1f ms%s%s\n", seconds, clients, total.reads, total.failures, total.backwards,
           total.changes, total.worst_ms, *why ? "; first problem: " : "", why);
    printf("soak: VmRSS first %ld KiB, after warm-up %ld KiB, last %ld KiB, max %ld KiB (growth after warm-up %ld KiB, "
           "limit %ld KiB); fds %d, after warm-up %d, last %d; %d samples; server %s\n", first, warm, last, max,
           last - warm, limit, fds_first, fds_warm, fds_last, samples, alive ? "alive" : "GONE");
    printf("soak: %s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
