// reclag: row-wise reductions over logits (n x C, C small) computed a block of rows at a time
// with whole-array operations, for Energy, MSP, MaxLogit, GEN, ReAct, ASH and DICE.
//
// A per-row loop over 10 logits spends its time in per-row expression overhead (a 10-element
// max, exp and sum each). Here a block of rows is copied TRANSPOSED into a column-major buffer
// on the stack (block x C, each class one contiguous column), so that every step is one
// vectorised array operation over the block's rows:
//   m = max_j z_j,  s = sum_j exp((z_j - m) / T),  LSE = m + T log s   (always max-shifted)
// The buffer is a fixed-size stack array (no heap allocation, whatever n); only C > 4096 falls
// back to one block row at a time in a heap buffer.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include <Eigen/Core>

#include "reclag/core/numeric.hpp"
#include "reclag/core/types.hpp"

namespace reclag {
namespace detail {

/// Scalars of the stack block buffer (32 KiB in double).
inline constexpr Index logit_block_scalars = 4096;

/// Calls f(begin, block, max, aux) for consecutive blocks of rows of z (row-major, n x C):
/// `block` is a column-major (rows x C) array holding z's rows [begin, begin + rows) in working
/// precision W, `max` (rows) their row maxima, and `aux` (rows x extra) scratch columns for f.
/// f may overwrite all three. Columns are contiguous (outer stride = the block capacity).
template <typename W, typename Z, typename F>
void for_logit_blocks(const Eigen::MatrixBase<Z>& z, Index extra, F&& f) {
    using Block = Eigen::Map<Eigen::Array<W, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>, Eigen::Unaligned,
                             Eigen::OuterStride<>>;
    using Col = Eigen::Map<Eigen::Array<W, Eigen::Dynamic, 1>>;
    const Index n = z.rows(), c = z.cols();
    if (n == 0 || c == 0) return;
    const Index cols = c + 1 + extra;
    // rows per block: a multiple of 16 (so every column starts 64-byte aligned) when C allows
    Index cap = logit_block_scalars / cols;
    if (cap >= 16) cap -= cap % 16;
    alignas(64) W stack[logit_block_scalars];
    std::vector<W> heap;
    W* buf = stack;
    if (cap < 1) {  // C + 1 + extra > 4096: one row per block, on the heap
        cap = 1;
        heap.resize(static_cast<std::size_t>(cols));
        buf = heap.data();
    }
    for (Index begin = 0; begin < n; begin += cap) {
        const Index rows = std::min(cap, n - begin);
        Block blk(buf, rows, c, Eigen::OuterStride<>(cap));
        Col m(buf + c * cap, rows);
        Block aux(buf + (c + 1) * cap, rows, extra, Eigen::OuterStride<>(cap));
        blk = z.middleRows(begin, rows).template cast<W>().array();
        m = blk.col(0);
        for (Index j = 1; j < c; ++j) m = m.max(blk.col(j));
        f(begin, blk, m, aux);
    }
}

/// out_i = T LSE_j(z_ij / T) = m_i + T log sum_j exp((z_ij - m_i) / T), max-shifted (T = 1:
/// the plain LSE). Finite logits (the scorers check them) give finite maxima.
template <typename Z, typename Out>
void rowwise_lse_blocks(const Eigen::MatrixBase<Z>& z, typename Z::Scalar t, Out&& out) {
    using S = typename Z::Scalar;
    const S inv_t = S(1) / t;
    for_logit_blocks<S>(z, 0, [&](Index begin, auto& blk, auto& m, auto&) {
        // column 0 becomes the running sum; the others are consumed in place
        blk.col(0) = exp_no_subnormal((blk.col(0) - m) * inv_t);
        for (Index j = 1; j < blk.cols(); ++j) blk.col(0) += exp_no_subnormal((blk.col(j) - m) * inv_t);
        out.segment(begin, blk.rows()) = (m + t * blk.col(0).log()).matrix();
    });
}

}  // namespace detail
}  // namespace reclag
