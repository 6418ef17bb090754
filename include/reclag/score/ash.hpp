// reclag: ASH-B, activation shaping with binarisation (Djurisic, Bozanic, Ashok & Liu, ICLR 2023).
#pragma once

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/numeric.hpp"
#include "reclag/core/types.hpp"
#include "reclag/score/feature_view.hpp"
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

    void score(const FeatureView<Scalar>& split, Eigen::Ref<Vector<Scalar>> out) const {
        const char* where = "AshScorer::score";
        const ScoreChecks checks{where};
        checks.fitted(fitted_);
        checks.features(split, weight_t_.rows());
        check_size(where, "out", out.size(), split.rows());
        const auto x = split.features();
        std::vector<Index> idx;
        Vector<Scalar> logits(bias_.size());
        for (Index i = 0; i < x.rows(); ++i) {
            const Scalar value = select(x.row(i), idx);
            logits.setZero();
            for (Index t = 0; t < k_; ++t) logits += weight_t_.row(idx[std::size_t(t)]).transpose();
            logits = value * logits + bias_;
            out(i) = log_sum_exp(logits);
        }
        checks.scores(out);
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
    RowMatrix<Scalar> weight_t_;
    Vector<Scalar> bias_;
    bool fitted_ = false;
};

using AshScorerf = AshScorer<float>;
using AshScorerd = AshScorer<double>;

}  // namespace reclag
