// reclag: ReclagWorkspace, the scratch memory of RecLag scoring, reused across calls.
//
//   reclag::ReclagScorer<float>::Workspace ws;          // or ws({/*num_threads=*/2})
//   for (auto& batch : stream) scorer.score(batch, out, ws);   // no heap allocation after the first
//
// What it holds, per lane (one lane per thread of a call):
//   - the chunk product buffer  (chunk rows x N_H): a = x xi^T for up to 512 rows at a time
//   - the GEMM packing buffers  (core/gemm.hpp): Eigen would heap-allocate them on every call
//   - the gathered rows         (chunk rows x D): per-class routing copies a class's rows here
// and, shared: the routing lists (argmax class per row, rows sorted by class) and the task list
// (which rows each lane scores). Everything grows to the largest call seen and is then reused,
// so repeated calls at one batch size allocate nothing (global or per-class xi, any data).
//
// Threads: num_threads lanes; rows are cut into the fixed 512-row chunks a 1-thread call uses
// (per class for per-class xi), and lanes take contiguous runs of chunks, so every chunk is
// computed by the same code on the same rows whatever the thread count: results are
// bit-identical to 1 thread. Lanes 1.. run on std::threads started per call (core/parallel.hpp):
// worth it from a few thousand rows; a call with fewer than two chunks runs on the caller only.
//
// A workspace is used by one call at a time: give each concurrent caller its own (score() is
// const; the scorer itself is shared freely).
#pragma once

#include <cstddef>
#include <vector>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/gemm.hpp"
#include "reclag/core/types.hpp"

namespace reclag {

namespace detail {
template <typename Scalar>
struct ReclagKernel;
}  // namespace detail

template <typename Scalar_>
class ReclagWorkspace {
public:
    using Scalar = Scalar_;
    static_assert(is_supported_scalar_v<Scalar>, "reclag::ReclagWorkspace: Scalar must be float or double");

    struct Param {
        /// Threads per scoring call (>= 1), the calling thread included. 1 = no thread started
        /// and no heap allocation in steady state; more threads give bit-identical scores.
        Index num_threads = 1;
        void check_param() const {
            if (num_threads < 1) throw_invalid("ReclagWorkspace::Param", "num_threads must be >= 1 (got ", num_threads, ")");
        }
    };

    explicit ReclagWorkspace(Param p = {}) : param_(p) {
        param_.check_param();
        lanes_.resize(static_cast<std::size_t>(param_.num_threads));
    }

    const Param& param() const { return param_; }
    Index num_threads() const { return param_.num_threads; }

    /// Bytes of scratch currently held (all lanes and the routing lists).
    std::size_t bytes() const {
        std::size_t b = (pred_.capacity() + order_.capacity() + offsets_.capacity()) * sizeof(Index) +
                        tasks_.capacity() * sizeof(Task) + bounds_.capacity() * sizeof(Index);
        for (const Lane& l : lanes_)
            b += static_cast<std::size_t>(l.gemm.bytes()) +
                 static_cast<std::size_t>(l.product.size() + l.gathered.size()) * sizeof(Scalar);
        return b;
    }

private:
    friend struct detail::ReclagKernel<Scalar>;

    /// What one thread needs to score one chunk.
    struct Lane {
        GemmWorkspace<Scalar> gemm;
        Vector<Scalar> product;   // chunk x N_H, row-major
        Vector<Scalar> gathered;  // chunk x D, row-major (per-class routing only)
    };
    /// Rows [start, start + len) of the global matrix (cls < 0), or positions [start, start + len)
    /// of order_ (rows of class cls, ascending).
    struct Task {
        Index cls;
        Index start;
        Index len;
    };

    Param param_;
    std::vector<Lane> lanes_;
    std::vector<Index> pred_;     // argmax class per row
    std::vector<Index> order_;    // rows grouped by class, ascending within a class
    std::vector<Index> offsets_;  // class c occupies order_[offsets_[c], offsets_[c + 1])
    std::vector<Task> tasks_;
    std::vector<Index> bounds_;   // lane t runs tasks_[bounds_[t], bounds_[t + 1])
};

}  // namespace reclag
