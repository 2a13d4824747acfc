/* STREAM-like reference for edgebench's bandwidth probe (benches/benches/
 * bandwidth_vs_c.rs builds it with gcc -O3 -march=native -fopenmp).
 *
 * Same rules as the Rust probe: arrays a, b, c of f64 initialised in
 * parallel with the static schedule the kernels use (first touch), values
 * a = 1.0, b = 2.0, c = 0.5; each kernel runs ITERATIONS times on its own
 * from those values; the first pass is discarded and the best of the rest
 * is reported as STREAM counts bytes (1e9 bytes per second).
 *
 *   stream_ref ELEMENTS ITERATIONS
 *
 * prints one line per kernel: `copy 12.34` ... `read 23.45` (GB/s). The
 * threads come from OMP_NUM_THREADS (with OMP_PROC_BIND=true and
 * OMP_PLACES=cores for pinning).
 */
#include <float.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define SCALAR 3.0

static double *restrict a;
static double *restrict b;
static double *restrict c;
static volatile double sink;

static void init(long n) {
#pragma omp parallel for schedule(static)
    for (long j = 0; j < n; j++) {
        a[j] = 1.0;
        b[j] = 2.0;
        c[j] = 0.5;
    }
}

static double pass(int kernel, long n) {
    double sum = 0.0;
    switch (kernel) {
    case 0:
#pragma omp parallel for schedule(static)
        for (long j = 0; j < n; j++) c[j] = a[j];
        break;
    case 1:
#pragma omp parallel for schedule(static)
        for (long j = 0; j < n; j++) b[j] = SCALAR * c[j];
        break;
    case 2:
#pragma omp parallel for schedule(static)
        for (long j = 0; j < n; j++) c[j] = a[j] + b[j];
        break;
    case 3:
#pragma omp parallel for schedule(static)
        for (long j = 0; j < n; j++) a[j] = b[j] + SCALAR * c[j];
        break;
    default:
#pragma omp parallel for simd schedule(static) reduction(+ : sum)
        for (long j = 0; j < n; j++) sum += a[j];
        break;
    }
    return sum;
}

static int check(int kernel, long n, double sum) {
    double ea = 1.0, eb = 2.0, ec = 0.5;
    if (kernel == 0) ec = 1.0;
    if (kernel == 1) eb = SCALAR * 0.5;
    if (kernel == 2) ec = 3.0;
    if (kernel == 3) ea = 2.0 + SCALAR * 0.5;
    if (kernel == 4 && sum != (double)n) return 0;
    for (long j = 0; j < n; j++)
        if (a[j] != ea || b[j] != eb || c[j] != ec) return 0;
    return 1;
}

int main(int argc, char **argv) {
    static const char *names[] = {"copy", "scale", "add", "triad", "read"};
    static const double bytes_per_element[] = {16, 16, 24, 24, 8};
    if (argc != 3) {
        fprintf(stderr, "usage: stream_ref ELEMENTS ITERATIONS\n");
        return 2;
    }
    long n = atol(argv[1]);
    int iterations = atoi(argv[2]);
    if (n < 1 || iterations < 2) {
        fprintf(stderr, "stream_ref: need ELEMENTS >= 1 and ITERATIONS >= 2\n");
        return 2;
    }
    size_t bytes = ((size_t)n * sizeof(double) + 4095) / 4096 * 4096;
    /* Same as the Rust probe: 2 MiB-aligned arrays with transparent huge
     * pages asked for, so both sides pay the same TLB cost. */
    size_t huge = 2u << 20;
    size_t rounded = (bytes + huge - 1) / huge * huge;
    a = aligned_alloc(huge, rounded);
    b = aligned_alloc(huge, rounded);
    c = aligned_alloc(huge, rounded);
    if (a && b && c) {
        madvise(a, rounded, MADV_HUGEPAGE);
        madvise(b, rounded, MADV_HUGEPAGE);
        madvise(c, rounded, MADV_HUGEPAGE);
    }
    if (!a || !b || !c) {
        fprintf(stderr, "stream_ref: out of memory\n");
        return 1;
    }
    init(n);
    for (int k = 0; k < 5; k++) {
        if (k > 0) init(n);
        double best = DBL_MAX, sum = 0.0;
        for (int i = 0; i < iterations; i++) {
            double t = omp_get_wtime();
            sum = pass(k, n);
            t = omp_get_wtime() - t;
            sink = sum;
            if (i > 0 && t < best) best = t;
        }
        if (!check(k, n, sum)) {
            fprintf(stderr, "stream_ref: %s gave a wrong result\n", names[k]);
            return 1;
        }
        printf("%s %.4f\n", names[k], bytes_per_element[k] * (double)n / best / 1e9);
    }
    return 0;
}
