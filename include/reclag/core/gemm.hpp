// reclag: C = A B^T (A: m x k, B: n x k, both row-major, rows contiguous) into caller storage,
// computed exactly as Eigen 3.4 computes `c.noalias() = a * b.transpose()`, but with the GEMM
// packing buffers held by a reusable GemmWorkspace instead of allocated on every call.
//
// Why: for m x 512 times 512 x 250 Eigen packs a 512 x 250 panel of B (500 KiB in float) and a
// 512 x min(m, 256) panel of A; both exceed EIGEN_STACK_ALLOCATION_LIMIT (128 KiB), so the
// stock product heap-allocates them (aligned_malloc) on every call. Here they are allocated
// once, grown only when a larger shape arrives, and reused: the steady-state scoring path of
// RecLag performs no heap allocation (tests/score/no_allocation_test.cpp counts malloc).
//
// Dispatch mirrors Eigen's own (GeneralMatrixMatrix.h, generic_product_impl::evalTo), so the
// numbers are bit-identical to the plain Eigen product:
//   k + m + n < EIGEN_GEMM_TO_COEFFBASED_THRESHOLD -> coefficient-based lazy product (no buffers)
//   n == 1 or m == 1                                -> GEMV (operands read in place, no buffers)
//   otherwise                                       -> blocked GEMM (Goto), buffers from here
// The blocked path calls Eigen::internal::general_matrix_matrix_product, an internal API whose
// signature is Eigen 3.4's; with any other Eigen version the plain product is used instead
// (correct, but it allocates its packing buffers again).
#pragma once

#include <algorithm>

#include <Eigen/Core>

#include "reclag/core/types.hpp"

#if EIGEN_WORLD_VERSION == 3 && EIGEN_MAJOR_VERSION == 4
#define RECLAG_GEMM_REUSES_BUFFERS 1
#else
#define RECLAG_GEMM_REUSES_BUFFERS 0
#endif

namespace reclag {

namespace detail {
#if RECLAG_GEMM_REUSES_BUFFERS
/// Eigen's blocking descriptor (block sizes kc, mc, nc and the two packing buffers), pointed at
/// storage owned by a GemmWorkspace. level3_blocking owns nothing and frees nothing.
template <typename Scalar>
class BorrowedBlocking : public Eigen::internal::level3_blocking<Scalar, Scalar> {
public:
    BorrowedBlocking(Index kc, Index mc, Index nc, Scalar* block_a, Scalar* block_b) {
        this->m_kc = kc;
        this->m_mc = mc;
        this->m_nc = nc;
        this->m_blockA = block_a;
        this->m_blockB = block_b;
    }
};
#endif
}  // namespace detail

/// Packing buffers for C = A B^T, reused across calls. Not shareable between threads running
/// at the same time: give each thread its own (it is cheap to create; memory comes on first use).
template <typename Scalar_>
class GemmWorkspace {
public:
    using Scalar = Scalar_;
    using ConstView = Eigen::Ref<const RowMatrix<Scalar>, 0, Eigen::OuterStride<>>;
    using View = Eigen::Ref<RowMatrix<Scalar>, 0, Eigen::OuterStride<>>;

    /// Grows the buffers so that every product with at most m rows of A, n rows of B and depth
    /// k needs no further allocation (kc <= k, mc <= n, nc <= m in Eigen's blocking).
    void reserve(Index m, Index n, Index k) {
        grow(block_a_, k * n);
        grow(block_b_, k * m);
    }

    /// Bytes held by the packing buffers.
    Index bytes() const { return (block_a_.size() + block_b_.size()) * static_cast<Index>(sizeof(Scalar)); }

    /// c = a b^T. Shapes: a m x k, b n x k, c m x n (checked by the caller: this is a kernel).
    void multiply_transposed(const ConstView& a, const ConstView& b, View c) {
        const Index m = a.rows(), n = b.rows(), k = a.cols();
        eigen_assert(b.cols() == k && c.rows() == m && c.cols() == n);
        if (m == 0 || n == 0) return;
        if (k == 0 || k + m + n < EIGEN_GEMM_TO_COEFFBASED_THRESHOLD || m == 1 || n == 1) {
            c.noalias() = a * b.transpose();  // lazy product or GEMV: Eigen needs no buffer here
            return;
        }
        c.setZero();  // the blocked kernel accumulates: C += 1 * A B^T, as Eigen's evalTo does
#if RECLAG_GEMM_REUSES_BUFFERS
        // Eigen evaluates a row-major C = A B^T as the column-major C^T = B A^T: B read
        // row-major, A^T read column-major (A's rows), C^T written column-major (C's rows).
        // Same blocking as gemm_blocking_space<RowMajor, ...>(m, n, k, 1 thread, true).
        Index kc = k, mc = n, nc = m;
        Eigen::internal::computeProductBlockingSizes<Scalar, Scalar, 1>(kc, mc, nc, Index(1));
        grow(block_a_, kc * std::min(n, mc));
        grow(block_b_, kc * std::min(m, nc));
        detail::BorrowedBlocking<Scalar> blocking(kc, mc, nc, block_a_.data(), block_b_.data());
        using Gemm = Eigen::internal::general_matrix_matrix_product<Index, Scalar, Eigen::RowMajor, false, Scalar,
                                                                     Eigen::ColMajor, false, Eigen::ColMajor, 1>;
        Gemm::run(n, m, k, b.data(), b.outerStride(), a.data(), a.outerStride(), c.data(), 1, c.outerStride(),
                  Scalar(1), blocking, nullptr);
#else
        c.noalias() += a * b.transpose();
#endif
    }

private:
    static void grow(Vector<Scalar>& buffer, Index size) {
        if (buffer.size() < size) buffer.resize(size);  // aligned (EIGEN_MAX_ALIGN_BYTES), as Eigen's packing needs
    }

    Vector<Scalar> block_a_;  // packed panel of B (the colmajor product's lhs): kc x mc
    Vector<Scalar> block_b_;  // packed panel of A^T (its rhs): kc x nc
};

}  // namespace reclag
