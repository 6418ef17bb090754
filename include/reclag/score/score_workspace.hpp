// reclag: ScoreWorkspace, the scratch memory of the block-wise scorers (ReAct, ASH, DICE, MHE,
// KNN, Mahalanobis, ViM), reused across calls.
//
//   reclag::KnnScorer<float>::Workspace ws;                     // any of those scorers
//   for (auto& batch : stream) scorer.score(batch, out, ws);    // no heap allocation after the first
//
// Those scorers work a block of rows at a time (clipped or masked features, gathered rows,
// distances, projections, each followed by a GEMM). Without a workspace every call allocates
// the block buffers and Eigen's GEMM packing buffers again; with one, they are grown to the
// largest call seen and then reused, so repeated calls at one batch size allocate nothing
// (tests/score/no_allocation_test.cpp counts malloc). The numbers do not depend on whether a
// workspace is reused: score(split, out) runs the same code with a fresh one.
//
// A workspace holds untyped-by-purpose slots (a scorer decides what each slot means for one
// call): a few row-major matrices in Scalar and in double (Mahalanobis and ViM score in
// double), index lists, unsigned keys of Scalar's width (ASH's order-preserving keys) and the
// GEMM packing buffers of core/gemm.hpp. It belongs to one call at a time: give each
// concurrent caller its own (score() is const; the scorer itself is shared freely). One
// workspace may serve different scorers of the same Scalar in turn.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/gemm.hpp"
#include "reclag/core/types.hpp"

namespace reclag {

template <typename Scalar_>
class ScoreWorkspace {
public:
    using Scalar = Scalar_;
    static_assert(is_supported_scalar_v<Scalar>, "reclag::ScoreWorkspace: Scalar must be float or double");
    /// An unsigned integer as wide as Scalar (order-preserving keys of Scalar's bits).
    using Unsigned = std::conditional_t<sizeof(Scalar) == 4, std::uint32_t, std::uint64_t>;
    /// A scratch matrix: row-major, rows contiguous, aligned as Eigen's own heap storage.
    template <typename T>
    using MatrixMap = Eigen::Map<RowMatrix<T>, Eigen::AlignedMax>;

    /// Matrix slots; a scorer uses distinct slot numbers for matrices alive together, whatever
    /// their element types (for Scalar = double, matrix<Scalar>(s) and matrix<double>(s) are one).
    static constexpr std::size_t num_slots = 4;

    /// A rows x cols scratch matrix of type T (Scalar or double) in `slot`. Its contents are
    /// unspecified (not zeroed); it stays valid until the next request for the same slot.
    template <typename T = Scalar>
    MatrixMap<T> matrix(std::size_t slot, Index rows, Index cols) {
        static_assert(std::is_same_v<T, Scalar> || std::is_same_v<T, double>,
                      "ScoreWorkspace::matrix: T must be the workspace's Scalar or double");
        check_slot("ScoreWorkspace::matrix", slot);
        reserve<T>(slot, rows * cols);  // grows only: a smaller block reuses the buffer
        return MatrixMap<T>(buffers<T>()[slot].data(), rows, cols);
    }

    /// Grows the buffer of `slot` to hold at least `size` elements of T, so that later
    /// matrix<T>(slot, r, c) requests with r * c <= size allocate nothing. For a scorer whose
    /// block shapes depend on the data (MHE's per-class groups): reserving the largest shape
    /// the batch size allows keeps its steady state free of allocation whatever the data.
    template <typename T = Scalar>
    void reserve(std::size_t slot, Index size) {
        check_slot("ScoreWorkspace::reserve", slot);
        Vector<T>& buffer = buffers<T>()[slot];
        if (buffer.size() < size) buffer.resize(size);
    }

    /// An index list in `slot`, resized to `size` (no allocation within its capacity).
    std::vector<Index>& indices(std::size_t slot, std::size_t size) {
        check_slot("ScoreWorkspace::indices", slot);
        std::vector<Index>& list = indices_[slot];
        list.resize(size);
        return list;
    }

    /// Unsigned keys of Scalar's width, resized to `size`.
    std::vector<Unsigned>& keys(std::size_t size) {
        keys_.resize(size);
        return keys_;
    }

    /// GEMM packing buffers (core/gemm.hpp) for products in Scalar and in double.
    GemmWorkspace<Scalar>& gemm() { return gemm_; }
    GemmWorkspace<double>& gemm_double() { return gemm_double_; }

    /// Bytes of scratch currently held.
    std::size_t bytes() const {
        std::size_t b = static_cast<std::size_t>(gemm_.bytes() + gemm_double_.bytes()) + keys_.capacity() * sizeof(Unsigned);
        for (std::size_t s = 0; s < num_slots; ++s) {
            b += static_cast<std::size_t>(scalar_[s].size()) * sizeof(Scalar) +
                 static_cast<std::size_t>(wide_[s].size()) * sizeof(double) + indices_[s].capacity() * sizeof(Index);
        }
        return b;
    }

private:
    static void check_slot(const char* where, std::size_t slot) {
        if (slot >= num_slots) throw_invalid(where, "slot ", slot, " is outside [0, ", num_slots, ")");
    }
    template <typename T>
    std::array<Vector<T>, num_slots>& buffers() {
        if constexpr (std::is_same_v<T, Scalar>) {
            return scalar_;
        } else {
            return wide_;
        }
    }

    std::array<Vector<Scalar>, num_slots> scalar_;
    std::array<Vector<double>, num_slots> wide_;  // matrix<double> when Scalar is float
    std::array<std::vector<Index>, num_slots> indices_;
    std::vector<Unsigned> keys_;
    GemmWorkspace<Scalar> gemm_;
    GemmWorkspace<double> gemm_double_;
};

}  // namespace reclag
