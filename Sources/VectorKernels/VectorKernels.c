#include "VectorKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

/// Compiled for AVX2 and FMA whatever the target baseline; only called once the CPU has them.
#define AVX2 __attribute__((target("avx2,fma"), always_inline)) static inline

AVX2 float sum_lanes(__m256 v) {
    __m128 half = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    half = _mm_add_ps(half, _mm_movehl_ps(half, half));
    half = _mm_add_ss(half, _mm_movehdup_ps(half));
    return _mm_cvtss_f32(half);
}

/// One tile: `rows` rows times `count` queries, eight lanes at a time, each pair in its own
/// accumulator (independent additions keep both FMA units busy); the tail lane by lane.
AVX2 void tile_avx2(const float *matrix, size_t row, const int rows, size_t dimension, const float *queries, size_t query,
                    const int count, size_t query_count, float *scores) {
    __m256 sums[4][4];
    for (int r = 0; r < rows; r++)
        for (int q = 0; q < count; q++) sums[r][q] = _mm256_setzero_ps();
    size_t d = 0;
    for (; d + 8 <= dimension; d += 8) {
        __m256 x[4];
        for (int r = 0; r < rows; r++) x[r] = _mm256_loadu_ps(matrix + (row + r) * dimension + d);
        for (int q = 0; q < count; q++) {
            __m256 y = _mm256_loadu_ps(queries + (query + q) * dimension + d);
            for (int r = 0; r < rows; r++) sums[r][q] = _mm256_fmadd_ps(x[r], y, sums[r][q]);
        }
    }
    for (int r = 0; r < rows; r++) {
        for (int q = 0; q < count; q++) {
            float sum = sum_lanes(sums[r][q]);
            for (size_t t = d; t < dimension; t++) sum += matrix[(row + r) * dimension + t] * queries[(query + q) * dimension + t];
            scores[(row + r) * query_count + query + q] = sum;
        }
    }
}

/// Rows four at a time: each block of four rows (12 KB at 768 dimensions) stays in the L1
/// cache while every query passes over it, four queries (2 × 4 tiles) or one (4 × 1) at a time.
__attribute__((target("avx2,fma"))) static void dot_rows_avx2(const float *matrix, size_t row_count, size_t dimension,
                                                              const float *queries, size_t query_count, float *scores) {
    size_t row = 0;
    for (; row + 4 <= row_count; row += 4) {
        size_t query = 0;
        for (; query + 4 <= query_count; query += 4) {
            tile_avx2(matrix, row, 2, dimension, queries, query, 4, query_count, scores);
            tile_avx2(matrix, row + 2, 2, dimension, queries, query, 4, query_count, scores);
        }
        for (; query < query_count; query++) tile_avx2(matrix, row, 4, dimension, queries, query, 1, query_count, scores);
    }
    for (; row < row_count; row++) {
        size_t query = 0;
        for (; query + 4 <= query_count; query += 4) tile_avx2(matrix, row, 1, dimension, queries, query, 4, query_count, scores);
        for (; query < query_count; query++) tile_avx2(matrix, row, 1, dimension, queries, query, 1, query_count, scores);
    }
}

/// Whether this CPU has AVX2 and FMA.
static int use_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

/// Eight partial sums per dot product, which the compiler turns into SIMD on any target.
void vector_dot_rows_portable(const float *matrix, size_t row_count, size_t dimension, const float *queries, size_t query_count,
                              float *scores) {
    for (size_t row = 0; row < row_count; row++) {
        const float *x = matrix + row * dimension;
        for (size_t query = 0; query < query_count; query++) {
            const float *y = queries + query * dimension;
            float sums[8] = {0};
            size_t d = 0;
            for (; d + 8 <= dimension; d += 8)
                for (int lane = 0; lane < 8; lane++) sums[lane] += x[d + lane] * y[d + lane];
            float sum = ((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7]));
            for (; d < dimension; d++) sum += x[d] * y[d];
            scores[row * query_count + query] = sum;
        }
    }
}

void vector_dot_rows(const float *matrix, size_t row_count, size_t dimension, const float *queries, size_t query_count,
                     float *scores) {
#if defined(__x86_64__)
    if (use_avx2()) {
        dot_rows_avx2(matrix, row_count, dimension, queries, query_count, scores);
        return;
    }
#endif
    vector_dot_rows_portable(matrix, row_count, dimension, queries, query_count, scores);
}
