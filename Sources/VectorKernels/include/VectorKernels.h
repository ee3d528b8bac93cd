#ifndef VECTOR_KERNELS_H
#define VECTOR_KERNELS_H

#include <stddef.h>

/// Dot products of `row_count` consecutive rows of `matrix` with each of `query_count` queries,
/// all of `dimension` floats: `scores[row * query_count + query]`. Uses AVX2 and FMA when the
/// CPU has them, portable C otherwise.
void vector_dot_rows(const float *matrix, size_t row_count, size_t dimension, const float *queries, size_t query_count,
                     float *scores);

/// The same in portable C: what `vector_dot_rows` runs on a CPU without AVX2 and FMA.
void vector_dot_rows_portable(const float *matrix, size_t row_count, size_t dimension, const float *queries,
                              size_t query_count, float *scores);

#endif
