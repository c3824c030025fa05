/*
 * tembridge bench: line efficiency. Reads the output of `tembridge bench-line` on stdin and
 * judges it against a lower bound computed here, independently of the bridge's planner.
 *
 * The bound. A meter's map needs a set of T2K byte ranges, each atomic (an integrator's L and
 * F parts, a 32-bit value, the clock: one reply each, as the contract demands). One read asks
 * for at most 64 consecutive bytes; on the wire it costs a 10-byte request frame
 * (55 addr ~addr 0F 01 03 hi lo n sum) and a 7 + n byte reply (AA addr ~addr 0F 01 n data sum).
 * A set of reads is valid when every range lies wholly inside one of them.
 *
 * Exact optimum by DP over candidate reads [s, e] (s a range start, e a range end, e - s < 64).
 * In an optimal set no read lies inside another (it would be redundant), so sorted by start
 * the reads are also sorted by end. Let M(s) be the largest end of a range starting before s.
 * A sequence of reads r1 < r2 < ... < rk is valid exactly when no range starts before s(r1)
 * (M(s1) = -inf), M(s(r_{i+1})) <= e(r_i) for each i (a range starting before r_{i+1} and
 * ending after r_i would be in no read), and e(rk) >= the last end. Solved twice:
 *   - "fewest reads, then fewest bytes" (cost = reads * 10^6 + wire bytes) — the bound;
 *   - "fewest wire bytes" regardless of the number of reads — for information.
 *
 * Tiered polling: `needed-steady` lines give the ranges of the values that change (configuration
 * is read on first contact and every config_interval, not every poll). Their bound is computed
 * the same way and judged against the `steady-plan` line (the planner's steady plan), with the
 * targets of issue 11: at most 11 reads per meter and at most 80 % of 894 wire bytes.
 *
 * Prints per meter and per line the bound against the measured steady-state poll (cycles >= 1;
 * cycle 0 also reads the newest archive records, 6 x 64-byte Flash reads each, reported apart),
 * the cycle time against the wire time ((sent + received) bytes x 10 bits / baud, 8N1), and
 * verdict lines "TARGET line-efficiency ..." and "TARGET cycle-time ..." (median of the steady
 * cycles; the worst is printed too: on a loaded machine a poller thread can be descheduled).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXR 4096
#define MAXM 64
#define READ_MAX 64
#define REQUEST_BYTES 10
#define REPLY_OVERHEAD 7

struct range { int a, b; };
struct meter {
    char name[64];
    struct range r[MAXR];
    int n;
    int plan_reads, plan_bytes;
    long poll_bytes_first, poll_bytes_steady, poll_ex_steady, steady_polls;
};

static struct meter meters[MAXM];
static int nmeters;
/* The changing ranges of each meter (tiered polling), and the planner's steady and config plans. */
static struct meter steady[MAXM];
static int nsteady;
static int config_reads[MAXM], config_bytes[MAXM];

static struct meter *meter_named(const char *name)
{
    for (int i = 0; i < nmeters; i++)
        if (strcmp(meters[i].name, name) == 0) return &meters[i];
    if (nmeters == MAXM) { fprintf(stderr, "too many meters\n"); exit(2); }
    struct meter *m = &meters[nmeters++];
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", name);
    return m;
}

static struct meter *steady_named(const char *name)
{
    for (int i = 0; i < nsteady; i++)
        if (strcmp(steady[i].name, name) == 0) return &steady[i];
    if (nsteady == MAXM) { fprintf(stderr, "too many meters\n"); exit(2); }
    struct meter *m = &steady[nsteady++];
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", name);
    return m;
}

static int cmp_range(const void *x, const void *y)
{
    const struct range *p = x, *q = y;
    return p->a != q->a ? p->a - q->a : p->b - q->b;
}

/* Optimal cost of covering m's ranges; lexicographic: minimise reads first. *reads, *bytes out. */
static void bound(const struct meter *m, int lexicographic, long *reads_out, long *bytes_out)
{
    int n = m->n;
    if (n == 0) { *reads_out = 0; *bytes_out = 0; return; }
    struct range *r = malloc((size_t)n * sizeof *r);
    memcpy(r, m->r, (size_t)n * sizeof *r);
    qsort(r, (size_t)n, sizeof *r, cmp_range);
    int last_end = -1;
    for (int i = 0; i < n; i++) if (r[i].b > last_end) last_end = r[i].b;
    /* candidates */
    int cap = n * READ_MAX + 1, c = 0;
    int *cs = malloc((size_t)cap * sizeof(int)), *ce = malloc((size_t)cap * sizeof(int));
    for (int i = 0; i < n; i++) {
        if (i > 0 && r[i].a == r[i - 1].a) continue; /* distinct starts */
        int seen_ends[READ_MAX] = {0};
        for (int j = 0; j < n; j++) {
            int e = r[j].b;
            if (e < r[i].a || e - r[i].a >= READ_MAX || seen_ends[e - r[i].a]) continue;
            seen_ends[e - r[i].a] = 1;
            cs[c] = r[i].a; ce[c] = e; c++;
        }
    }
    /* sort candidates by start, then end */
    for (int i = 1; i < c; i++) {
        int s = cs[i], e = ce[i], j = i - 1;
        while (j >= 0 && (cs[j] > s || (cs[j] == s && ce[j] > e))) { cs[j + 1] = cs[j]; ce[j + 1] = ce[j]; j--; }
        cs[j + 1] = s; ce[j + 1] = e;
    }
    /* M(s): largest end of a range starting before s (-1: none) */
    int *M = malloc((size_t)c * sizeof(int));
    for (int k = 0; k < c; k++) {
        M[k] = -1;
        for (int i = 0; i < n && r[i].a < cs[k]; i++) if (r[i].b > M[k]) M[k] = r[i].b;
    }
    const long BIG = 1000000;
    long *best = malloc((size_t)c * sizeof(long)), *nreads = malloc((size_t)c * sizeof(long)),
         *nbytes = malloc((size_t)c * sizeof(long));
    long answer = -1, ar = 0, ab = 0;
    for (int k = 0; k < c; k++) {
        long len = ce[k] - cs[k] + 1, cost1 = (lexicographic ? BIG : 0) + REQUEST_BYTES + REPLY_OVERHEAD + len;
        best[k] = -1;
        if (M[k] == -1) { best[k] = cost1; nreads[k] = 1; nbytes[k] = REQUEST_BYTES + REPLY_OVERHEAD + len; }
        for (int p = 0; p < k; p++) {
            if (best[p] < 0 || cs[p] >= cs[k] || ce[p] >= ce[k] || M[k] > ce[p]) continue;
            long v = best[p] + cost1;
            if (best[k] < 0 || v < best[k]) {
                best[k] = v; nreads[k] = nreads[p] + 1; nbytes[k] = nbytes[p] + REQUEST_BYTES + REPLY_OVERHEAD + len;
            }
        }
        if (best[k] >= 0 && ce[k] >= last_end && (answer < 0 || best[k] < answer)) {
            answer = best[k]; ar = nreads[k]; ab = nbytes[k];
        }
    }
    *reads_out = ar; *bytes_out = ab;
    free(r); free(cs); free(ce); free(M); free(best); free(nreads); free(nbytes);
}

int main(void)
{
    char line[512], kind[32], name[64], lname[64] = "?";
    int baud = 9600, nm = 0;
    double cycle_ns_steady_max = 0, cycle_ratio_max = 0, ratios[256];
    long cycle_bytes_steady = 0;
    int steady_cycles = 0;
    while (fgets(line, sizeof line, stdin)) {
        if (sscanf(line, "%31s", kind) != 1) continue;
        if (strcmp(kind, "line") == 0) {
            sscanf(line, "%*s %63s %d %d", lname, &baud, &nm);
        } else if (strcmp(kind, "needed") == 0) {
            int a, b;
            if (sscanf(line, "%*s %63s %d %d", name, &a, &b) == 3) {
                struct meter *m = meter_named(name);
                if (m->n < MAXR) m->r[m->n++] = (struct range){a, b};
            }
        } else if (strcmp(kind, "needed-steady") == 0) {
            int a, b;
            if (sscanf(line, "%*s %63s %d %d", name, &a, &b) == 3) {
                struct meter *m = steady_named(name);
                if (m->n < MAXR) m->r[m->n++] = (struct range){a, b};
            }
        } else if (strcmp(kind, "steady-plan") == 0 || strcmp(kind, "config-plan") == 0) {
            int reads, bytes;
            if (sscanf(line, "%*s %63s %d %d", name, &reads, &bytes) == 3) {
                struct meter *m = steady_named(name);
                if (kind[0] == 's') { m->plan_reads = reads; m->plan_bytes = bytes; }
                else { config_reads[m - steady] = reads; config_bytes[m - steady] = bytes; }
            }
        } else if (strcmp(kind, "plan") == 0) {
            int reads, bytes;
            if (sscanf(line, "%*s %63s %d %d", name, &reads, &bytes) == 3) {
                struct meter *m = meter_named(name);
                m->plan_reads = reads; m->plan_bytes = bytes;
            }
        } else if (strcmp(kind, "poll") == 0) {
            int cycle; long ex, sent, recv; double ns;
            if (sscanf(line, "%*s %63s %d %ld %ld %ld %lf", name, &cycle, &ex, &sent, &recv, &ns) == 6) {
                struct meter *m = meter_named(name);
                if (cycle == 0) m->poll_bytes_first = sent + recv;
                else {
                    if (m->steady_polls && m->poll_bytes_steady != sent + recv)
                        printf("note: %s polls differ in bytes (%ld vs %ld): an archive pointer moved or a retry\n",
                               name, m->poll_bytes_steady, sent + recv);
                    if (!m->steady_polls || sent + recv < m->poll_bytes_steady) { m->poll_bytes_steady = sent + recv; m->poll_ex_steady = ex; }
                    m->steady_polls++;
                }
            }
        } else if (strcmp(kind, "cycle") == 0) {
            int cycle; long ex, sent, recv; double ns;
            if (sscanf(line, "%*s %63s %d %ld %ld %ld %lf", name, &cycle, &ex, &sent, &recv, &ns) == 6) {
                double wire_ns = (double)(sent + recv) * 10.0 / baud * 1e9;
                printf("cycle %d of line %s: %ld exchanges, %ld bytes on the wire, %.1f ms; wire time at %d baud %.1f ms; ratio %.3f%s\n",
                       cycle, name, ex, sent + recv, ns / 1e6, baud, wire_ns / 1e6, ns / wire_ns,
                       cycle == 0 ? " (first cycle: also reads the newest archive records)" : "");
                if (cycle > 0) {
                    if (steady_cycles < 256) ratios[steady_cycles] = ns / wire_ns;
                    steady_cycles++;
                    cycle_bytes_steady = sent + recv;
                    if (ns > cycle_ns_steady_max) cycle_ns_steady_max = ns;
                    if (ns / wire_ns > cycle_ratio_max) cycle_ratio_max = ns / wire_ns;
                }
            }
        }
    }
    long bound_reads = 0, bound_bytes = 0, min_bytes_total = 0, measured = 0;
    for (int i = 0; i < nmeters; i++) {
        struct meter *m = &meters[i];
        long r1, b1, r2, b2;
        bound(m, 1, &r1, &b1);
        bound(m, 0, &r2, &b2);
        printf("meter %s: %d atomic ranges needed; bound %ld reads / %ld wire bytes (fewest reads, then bytes); "
               "fewest bytes at all: %ld bytes in %ld reads; planner %d reads / %d bytes; measured steady poll %ld exchanges / %ld bytes"
               " (first poll %ld bytes)\n",
               m->name, m->n, r1, b1, b2, r2, m->plan_reads, m->plan_bytes, m->poll_ex_steady, m->poll_bytes_steady,
               m->poll_bytes_first);
        bound_reads += r1; bound_bytes += b1; min_bytes_total += b2; measured += m->poll_bytes_steady;
    }
    if (!nmeters || !steady_cycles) { printf("no measurement\n"); return 1; }
    double eff = (double)bound_bytes / (double)measured;
    printf("RESULT line-efficiency %.3f (lower bound %ld bytes in %ld reads / measured %ld bytes per cycle; fewest-bytes-at-all bound %ld)\n",
           eff, bound_bytes, bound_reads, measured, min_bytes_total);
    int k = steady_cycles < 256 ? steady_cycles : 256;
    for (int i = 1; i < k; i++) { double t = ratios[i]; int j = i - 1; while (j >= 0 && ratios[j] > t) { ratios[j + 1] = ratios[j]; j--; } ratios[j + 1] = t; }
    double median = k % 2 ? ratios[k / 2] : (ratios[k / 2 - 1] + ratios[k / 2]) / 2;
    printf("RESULT cycle-time vs wire time %.1f ms: median ratio %.3f over %d steady cycles, worst %.3f (%.1f ms)\n",
           (double)cycle_bytes_steady * 10.0 / baud * 1e3, median, steady_cycles, cycle_ratio_max, cycle_ns_steady_max / 1e6);
    printf("TARGET line-efficiency == 1.0: %s\n", eff >= 0.9999 ? "MET" : "MISSED");
    if (nsteady) {
        int reads_ok = 1, bytes_ok = 1, equal = 1, worst_reads = 0, worst_bytes = 0;
        for (int i = 0; i < nsteady; i++) {
            struct meter *m = &steady[i];
            long r1, b1;
            bound(m, 1, &r1, &b1);
            printf("meter %s, tiered: %d changing ranges; bound %ld reads / %ld wire bytes; steady plan %d reads / %d bytes; "
                   "configuration plan %d reads / %d bytes (first contact, after offline or reset, every config_interval)\n",
                   m->name, m->n, r1, b1, m->plan_reads, m->plan_bytes, config_reads[i], config_bytes[i]);
            if (m->plan_reads > 11) reads_ok = 0;
            if (m->plan_bytes * 100 > 894 * 80) bytes_ok = 0;
            if (m->plan_reads != r1 || m->plan_bytes != b1) equal = 0;
            if (m->plan_reads > worst_reads) worst_reads = m->plan_reads;
            if (m->plan_bytes > worst_bytes) worst_bytes = m->plan_bytes;
        }
        printf("TARGET tiered steady plan <= 11 reads per meter: %s (%d)\n", reads_ok ? "MET" : "MISSED", worst_reads);
        printf("TARGET tiered steady plan <= 80%% of 894 wire bytes (715): %s (%d, %.1f %%)\n", bytes_ok ? "MET" : "MISSED",
               worst_bytes, worst_bytes * 100.0 / 894);
        printf("TARGET tiered steady plan == bound for the changing values: %s\n", equal ? "MET" : "MISSED");
    }
    printf("TARGET cycle-time <= 1.2 x wire time (median steady cycle): %s (%.3f; worst %.3f)\n",
           median <= 1.2 ? "MET" : "MISSED", median, cycle_ratio_max);
    return 0;
}
