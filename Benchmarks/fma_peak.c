/* Single-core FP32 FMA peak of this machine, in GFLOP/s (a fused multiply-add counts 2).
 *
 *   cc -O2 -march=native -o fma_peak Benchmarks/fma_peak.c && ./fma_peak
 *
 * Runs independent chains of vector FMAs (AVX-512 when the compiler targets it, else AVX2+FMA,
 * else scalar): enough accumulators to cover the FMA latency on every FMA port, so the loop
 * is throughput-bound. Prints the best of 40 short timed rounds (on a shared machine, the
 * best round is the one least disturbed by neighbours), as one line:
 *   fma peak GFLOP/s: X (isa, lanes, accumulators)
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <time.h>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

/* Latency 4 x 2 ports needs 8 chains. AVX-512 has 32 registers, so 16 chains leave headroom;
 * AVX2 has 16, and 16 chains plus the two operands spill, each spilled chain then waiting on a
 * store and a reload every iteration (which measured Zen 3 at 58 GFLOP/s, not its ~100), so
 * every other ISA runs 12. */
#if defined(__AVX512F__)
#define CHAINS 16
#define EACH(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
#else
#define CHAINS 12
#define EACH(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#endif

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* `iterations` rounds of CHAINS independent FMAs; returns a value that depends on every chain.
 * The chains are spelled out as separate variables (not an array and a loop), so they stay in
 * registers at -O2 without relying on the compiler to unroll. */

#if defined(__AVX512F__)
static const char *isa = "avx512";
enum { LANES = 16 };
typedef __m512 vec;
#define SPLAT(x) _mm512_set1_ps(x)
#define FMA(x, y, z) _mm512_fmadd_ps(x, y, z)
#define ADD(x, y) _mm512_add_ps(x, y)
static float total(vec v) { return _mm512_reduce_add_ps(v); }
#elif defined(__AVX2__) && defined(__FMA__)
static const char *isa = "avx2";
enum { LANES = 8 };
typedef __m256 vec;
#define SPLAT(x) _mm256_set1_ps(x)
#define FMA(x, y, z) _mm256_fmadd_ps(x, y, z)
#define ADD(x, y) _mm256_add_ps(x, y)
static float total(vec v) {
    float out[8], sum = 0;
    _mm256_storeu_ps(out, v);
    for (int k = 0; k < 8; k++) sum += out[k];
    return sum;
}
#else
static const char *isa = "scalar";
enum { LANES = 1 };
typedef float vec;
#define SPLAT(x) (x)
#define FMA(x, y, z) ((x) * (y) + (z))
#define ADD(x, y) ((x) + (y))
static float total(vec v) { return v; }
#endif

static float run(long iterations, float seed) {
#define DECLARE(c) vec acc##c = SPLAT(seed + (float)(c));
#define STEP(c) acc##c = FMA(acc##c, a, b);
#define SUM(c) sum = ADD(sum, acc##c);
    EACH(DECLARE)
    const vec a = SPLAT(0.999999f), b = SPLAT(1e-7f);
    for (long i = 0; i < iterations; i++) {
        EACH(STEP)
    }
    vec sum = SPLAT(0.0f);
    EACH(SUM)
    return total(sum);
}

int main(void) {
    long iterations = 1L << 20;
    volatile float sink = 0;
    /* Grow the round until it takes at least 0.05 s, so timer resolution does not matter. */
    for (;;) {
        double start = now();
        sink += run(iterations, (float)sink);
        if (now() - start > 0.05) break;
        iterations *= 2;
    }
    double best = 0;
    for (int round = 0; round < 40; round++) {
        double start = now();
        sink += run(iterations, (float)sink * 1e-9f);
        double seconds = now() - start;
        double gflops = (double)iterations * CHAINS * LANES * 2 / seconds / 1e9;
        if (gflops > best) best = gflops;
    }
    printf("fma peak GFLOP/s: %.1f (%s, %d lanes, %d accumulators)\n", best, isa, LANES, CHAINS);
    return sink == 12345.0f; /* keeps the work observable */
}
