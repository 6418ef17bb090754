// reclag: ASH-B, activation shaping with binarisation (Djurisic, Bozanic, Ashok & Liu, ICLR 2023).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <vector>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/numeric.hpp"
#include "reclag/core/types.hpp"
#include "reclag/score/feature_view.hpp"
#include "reclag/score/logit_blocks.hpp"
#include "reclag/score/score_workspace.hpp"
#include "reclag/score/scorer.hpp"

namespace reclag {

/// ASH-B: with k = D - round_half_even(D p / 100) and s1 = sum_j x_j (the row sum),
///   x'_j = s1 / k for the k largest activations of x, 0 elsewhere;
///   score(x) = LSE(x' W^T + b)          (energy of the shaped features, T = 1).
/// Ties at the k-th value: among equal activations the LOWER feature index is kept (the
/// reference's stable sort), so the result never depends on the selection algorithm.
/// The shaped logits are (s1 / k) sum_{j kept} W_{:,j} + b: O(C k) per row after an O(D) selection.
template <typename Scalar_>
class AshScorer {
public:
    using Scalar = Scalar_;
    static_assert(is_supported_scalar_v<Scalar>, "reclag::AshScorer: Scalar must be float or double");
    static constexpr const char* name = "ash";
    static constexpr bool needs_head = true;  // fit() needs the classifier head (W, b)
    using Workspace = ScoreWorkspace<Scalar>;

    struct Param {
        /// Pruning percentile p in [0, 100): the top (100 - p)% activations survive (OpenOOD default 90).
        double percentile = 90.0;
        void check_param() const {
            if (!(percentile >= 0.0 && percentile < 100.0))
                throw_invalid("AshScorer::Param", "percentile must be in [0, 100) (got ", percentile, ")");
        }
    };

    explicit AshScorer(Param p = {}) : param_(p) { param_.check_param(); }

    /// k = D - round_half_even(D p / 100), as NumPy's np.round.
    static Index keep_count(Index d, double percentile) {
        return d - static_cast<Index>(std::nearbyint(static_cast<double>(d) * percentile / 100.0));
    }

    /// ASH recomputes logits; always throws.
    void fit(const FeatureView<Scalar>&) {
        throw_invalid("AshScorer::fit", "ASH needs the classifier head: call fit(id_fit, head)");
    }

    /// Copies the head; the ID-fit split only fixes D (ASH learns nothing from data).
    void fit(const FeatureView<Scalar>& id_fit, const ClassifierHead<Scalar>& head) {
        const char* where = "AshScorer::fit";
        if (head.empty()) throw_invalid(where, "the classifier head is empty");
        check_nonempty(where, "the fit split", id_fit.rows());
        check_cols(where, "features", id_fit.feature_dim(), head.feature_dim());
        k_ = keep_count(head.feature_dim(), param_.percentile);
        if (k_ < 1) throw_invalid(where, "percentile ", param_.percentile, " keeps no activation of D = ", head.feature_dim());
        weight_ = head.weight();
        weight_t_ = head.weight().transpose();  // D x C: column j of W is a contiguous row here
        bias_ = head.bias();
        fitted_ = true;
    }

    /// The shaped features x' (n x D): for tests and inspection.
    template <typename Derived>
    RowMatrix<Scalar> shape(const Eigen::MatrixBase<Derived>& x) const {
        if (!fitted_) throw_invalid("AshScorer::shape", "called before fit()");
        check_cols("AshScorer::shape", "x", x.cols(), weight_t_.rows());
        RowMatrix<Scalar> out = RowMatrix<Scalar>::Zero(x.rows(), x.cols());
        std::vector<Index> idx;
        for (Index i = 0; i < x.rows(); ++i) {
            const Scalar value = select(x.row(i), idx);
            for (Index t = 0; t < k_; ++t) out(i, idx[std::size_t(t)]) = value;
        }
        return out;
    }

    /// Scores into `out`, reusing `ws` across calls: after the first call at a batch size, no
    /// heap allocation (one workspace per concurrent caller; see score/score_workspace.hpp).
    void score(const FeatureView<Scalar>& split, Eigen::Ref<Vector<Scalar>> out, Workspace& ws) const {
        const char* where = "AshScorer::score";
        const ScoreChecks checks{where};
        checks.fitted(fitted_);
        checks.features(split, weight_t_.rows());
        check_size(where, "out", out.size(), split.rows());
        const auto x = split.features();
        const Index n = x.rows(), d = x.cols();
        // Per block of rows: (1) each row's k-th largest activation thr, found exactly by a
        // bitwise search on order-preserving integer keys (one vectorised counting pass per key
        // bit, no sort); (2) a 0/1 mask of the kept activations: every one > thr, then those
        // == thr in index order until k are kept, i.e. exactly the strict order of select()
        // (value descending, index ascending); (3) logits = (s1 / k) (mask W^T) + b by one GEMM
        // per block (reusable packing buffers, core/gemm.hpp); (4) whole-array LSE per block.
        constexpr Index block = 128;
        using Key = typename Workspace::Unsigned;
        constexpr int bits = 8 * static_cast<int>(sizeof(Key));
        std::vector<Key>& keys = ws.keys(static_cast<std::size_t>(d));
        auto mask = ws.matrix(0, std::min(block, n), d);
        auto z = ws.matrix(1, std::min(block, n), bias_.size());
        for (Index begin = 0; begin < n; begin += block) {
            const Index rows = std::min(block, n - begin);
            for (Index r = 0; r < rows; ++r) {
                const Scalar* row = x.row(begin + r).data();
                Key* key = keys.data();
                for (Index j = 0; j < d; ++j) {
                    const Scalar v = row[j] + Scalar(0);  // -0 -> +0: equal values, equal keys
                    Key u;
                    std::memcpy(&u, &v, sizeof(Key));
                    // sign-magnitude -> two's order: negatives flipped, positives above them
                    key[j] = u ^ ((u >> (bits - 1)) != 0 ? ~Key(0) : (Key(1) << (bits - 1)));
                }
                Key thr = 0;  // the largest key K with #(keys >= K) >= k: the k-th largest
                for (int bit = bits - 1; bit >= 0; --bit) {
                    const Key cand = thr | (Key(1) << bit);
                    Key count = 0;
                    for (Index j = 0; j < d; ++j) count += key[j] >= cand ? Key(1) : Key(0);
                    if (count >= static_cast<Key>(k_)) thr = cand;
                }
                Key above = 0, equal = 0;
                for (Index j = 0; j < d; ++j) {
                    above += key[j] > thr ? Key(1) : Key(0);
                    equal += key[j] == thr ? Key(1) : Key(0);
                }
                Scalar* mr = mask.row(r).data();
                Key ties = static_cast<Key>(k_) - above;  // how many == thr are kept (>= 1)
                if (ties == equal) {
                    for (Index j = 0; j < d; ++j) mr[j] = key[j] >= thr ? Scalar(1) : Scalar(0);
                } else {
                    for (Index j = 0; j < d; ++j) {
                        const bool keep = key[j] > thr || (key[j] == thr && ties > 0);
                        if (key[j] == thr && ties > 0) --ties;
                        mr[j] = keep ? Scalar(1) : Scalar(0);
                    }
                }
            }
            auto zb = z.topRows(rows);
            ws.gemm().multiply_transposed(mask.topRows(rows), weight_, zb);
            for (Index r = 0; r < rows; ++r)
                zb.row(r) = (x.row(begin + r).sum() / static_cast<Scalar>(k_)) * zb.row(r) + bias_.transpose();
            detail::rowwise_lse_blocks(zb, Scalar(1), out.segment(begin, rows));
        }
        checks.scores(out);
    }
    void score(const FeatureView<Scalar>& split, Eigen::Ref<Vector<Scalar>> out) const {
        Workspace ws;
        score(split, out, ws);
    }
    Vector<Scalar> score(const FeatureView<Scalar>& split) const {
        Vector<Scalar> out(split.rows());
        score(split, out);
        return out;
    }

    bool is_fitted() const { return fitted_; }
    const Param& param() const { return param_; }
    /// k, the number of activations kept (after fit).
    Index k() const { return k_; }

private:
    /// Fills idx[0..k) with the kept feature indices of `row`; returns s1 / k.
    template <typename Row>
    Scalar select(const Row& row, std::vector<Index>& idx) const {
        const Index d = row.size();
        idx.resize(std::size_t(d));
        std::iota(idx.begin(), idx.end(), Index(0));
        // A strict total order (value descending, then index ascending): the first k are
        // exactly the reference's stable-sort choice, whatever nth_element does with ties.
        std::nth_element(idx.begin(), idx.begin() + (k_ - 1), idx.end(), [&](Index a, Index b) {
            return row(a) > row(b) || (row(a) == row(b) && a < b);
        });
        return row.sum() / static_cast<Scalar>(k_);
    }

    Param param_;
    Index k_ = 0;
    RowMatrix<Scalar> weight_;    // C x D
    RowMatrix<Scalar> weight_t_;
    Vector<Scalar> bias_;
    bool fitted_ = false;
};

using AshScorerf = AshScorer<float>;
using AshScorerd = AshScorer<double>;

}  // namespace reclag
