// reclag: a matrix product whose result does not depend on how many threads Eigen uses.
//
// Why: when a program is compiled with -fopenmp, Eigen runs large GEMMs on Eigen::nbThreads()
// threads. Each thread computes its own rows of the result (no reduction across threads), but
// the blocking over the inner dimension depends on the thread count: with one thread Eigen's
// depth block kc is the whole inner dimension up to (L1 - mr nr s) / (mr s + nr s) (~760 for
// float, ~600 for double on SSE2 with a 48 KiB L1), with two or more it is capped at 320
// (Eigen 3.4, GeneralBlockPanelKernel.h, evaluateProductBlockingSizesHeuristic). A depth of
// 512 is then summed as 0..511 in one pass with one thread and as (0..319) + (320..511) with
// two: different rounding, so a trained xi depended on OMP_NUM_THREADS (tests/train/
// determinism_test.cpp shows it). Cutting the inner dimension ourselves into chunks no longer
// than the multi-threaded kc makes every chunk a single kc pass for ANY thread count, and the
// chunks are added in a fixed order, so the result is bit-identical for 1, 2, ... threads and
// with or without OpenMP. When the inner dimension fits one chunk (every reclag product on
// features up to ~300 dimensions) this is exactly `dst.noalias() = lhs * rhs`.
#pragma once

#include <algorithm>

#include <Eigen/Core>

#include "reclag/core/types.hpp"

namespace reclag {

/// The longest inner dimension that Eigen's GEMM sums in one pass whatever the thread count:
/// its multi-threaded depth block for Scalar (from the cache sizes Eigen detected).
template <typename Scalar>
Index thread_invariant_depth() {
    static const Index depth = [] {
        Index k = Index(1) << 30, m = Index(1) << 12, n = Index(1) << 12;
        // KcFactor 1 and num_threads 2: what general_matrix_matrix_product uses with > 1 thread.
        Eigen::internal::computeProductBlockingSizes<Scalar, Scalar, 1, Index>(k, m, n, Index(2));
        return std::max<Index>(k, 8);
    }();
    return depth;
}

/// dst = lhs * rhs (dst must not alias lhs or rhs), bit-identical for every Eigen::nbThreads():
/// the inner dimension is cut into chunks of at most thread_invariant_depth<Scalar>() and the
/// partial products are accumulated in order. `Dst` may be a block expression (topRows(B)).
template <typename Dst, typename Lhs, typename Rhs>
void thread_invariant_product(Dst&& dst, const Eigen::MatrixBase<Lhs>& lhs, const Eigen::MatrixBase<Rhs>& rhs) {
    using Scalar = typename Lhs::Scalar;
    const Index depth = lhs.cols();
    const Index chunk = thread_invariant_depth<Scalar>();
    if (depth <= chunk) {
        dst.noalias() = lhs * rhs;
        return;
    }
    dst.noalias() = lhs.leftCols(chunk) * rhs.topRows(chunk);
    for (Index start = chunk; start < depth; start += chunk) {
        const Index len = std::min(chunk, depth - start);
        dst.noalias() += lhs.middleCols(start, len) * rhs.middleRows(start, len);
    }
}

}  // namespace reclag
