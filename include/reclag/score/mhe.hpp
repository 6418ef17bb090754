// reclag: the modern Hopfield energy score MHE (Zhang et al. 2023; paper Eq. 9), negated so
// that higher = more in-distribution.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/numeric.hpp"
#include "reclag/core/types.hpp"
#include "reclag/score/class_patterns.hpp"
#include "reclag/score/feature_view.hpp"
#include "reclag/score/score_workspace.hpp"
#include "reclag/score/scorer.hpp"

namespace reclag {

/// MHE score s(x) = LSE_mu( beta S^c_mu . x ) = -MHE(x) of Eq. (9) (with the official code's
/// beta), where c = argmax of the sample's logits (first maximum) and the stored patterns S^c
/// are the raw ID fit features with label == c that the classifier also predicts as c.
///
/// fit() needs the fit split's logits and labels (see correctly_classified_rows for the
/// checks, including the policy for a class without any correctly classified sample: fit
/// throws). The head of fit(id_fit, head) is ignored. score() needs features and logits.
///
/// Cost: test rows are grouped by predicted class and each group costs one GEMM
/// X_c S_c^T (row blocks bound the temporary), then a row-wise max-shifted LSE.
template <typename Scalar_>
class MheScorer {
public:
    using Scalar = Scalar_;
    static_assert(is_supported_scalar_v<Scalar>, "reclag::MheScorer: Scalar must be float or double");
    static constexpr const char* name = "mhe";
    static constexpr bool needs_head = false;
    using Workspace = ScoreWorkspace<Scalar>;

    struct Param {
        /// Inverse temperature beta > 0 inside the LSE. Default 1, the project's convention
        /// (and Eq. 9 as printed). The official SHE code uses 0.01 for ResNet features and 0.2
        /// for WRN; with raw 512-dim features beta = 1 makes the LSE nearly a max.
        double beta = 1.0;
        void check_param() const { check_positive("MheScorer::Param", "beta", beta); }
    };

    explicit MheScorer(Param p = {}) : param_(p) {
        param_.check_param();
        // beta is applied in Scalar: 1e300 is inf in float (and 0 * inf = NaN), 1e-60 is 0.
        check_positive("MheScorer::Param", "beta (rounded to Scalar)", static_cast<Scalar>(param_.beta));
    }

    void fit(const FeatureView<Scalar>& id_fit) {
        const auto rows = correctly_classified_rows("MheScorer::fit", id_fit);
        const auto x = id_fit.features();
        std::vector<RowMatrix<Scalar>> patterns(rows.size());
        for (std::size_t c = 0; c < rows.size(); ++c) patterns[c] = x(rows[c], Eigen::all);
        patterns_ = std::move(patterns);
        feature_dim_ = id_fit.feature_dim();
    }
    void fit(const FeatureView<Scalar>& id_fit, const ClassifierHead<Scalar>& /*head: not needed*/) { fit(id_fit); }

    /// Scores into `out`, reusing `ws` across calls: after the first call at a batch size, no
    /// heap allocation (one workspace per concurrent caller; see score/score_workspace.hpp).
    void score(const FeatureView<Scalar>& split, Eigen::Ref<Vector<Scalar>> out, Workspace& ws) const {
        const char* where = "MheScorer::score";
        const ScoreChecks checks{where};
        checks.fitted(is_fitted());
        checks.features(split, feature_dim_);
        checks.logits(split, num_classes());
        check_size(where, "out", out.size(), split.rows());
        const auto x = split.features();
        const auto z = split.logits();
        const Index n = x.rows(), classes = num_classes();
        // Rows grouped by predicted class, into the workspace's index lists (scorer.hpp).
        std::vector<Index>& offsets = ws.indices(1, 0);
        std::vector<Index>& order = ws.indices(2, 0);
        group_rows_by_predicted_class(z, classes, ws.indices(0, 0), offsets, order);
        // The block shapes depend on how many rows each class gets, which changes from batch to
        // batch: reserve the largest any class could need at this n, so that the steady state
        // allocates nothing whatever the predicted classes are.
        Index max_rows = 0, max_patterns = 0, max_products = 0;
        for (Index c = 0; c < classes; ++c) {
            const Index rows = std::min(n, block_rows(c));
            max_rows = std::max(max_rows, rows);
            max_patterns = std::max(max_patterns, patterns_[static_cast<std::size_t>(c)].rows());
            max_products = std::max(max_products, rows * patterns_[static_cast<std::size_t>(c)].rows());
        }
        ws.reserve(0, max_rows * x.cols());
        ws.reserve(1, max_products);
        ws.gemm().reserve(max_rows, max_patterns, x.cols());
        const Scalar beta = static_cast<Scalar>(param_.beta);
        for (Index c = 0; c < classes; ++c) {
            const Index start = offsets[static_cast<std::size_t>(c)], end = offsets[static_cast<std::size_t>(c + 1)];
            const RowMatrix<Scalar>& s = patterns_[static_cast<std::size_t>(c)];
            const Index block = block_rows(c);
            for (Index begin = start; begin < end; begin += block) {
                const Index rows = std::min(block, end - begin);
                auto xb = ws.matrix(0, rows, x.cols());
                auto g = ws.matrix(1, rows, s.rows());
                for (Index r = 0; r < rows; ++r) xb.row(r) = x.row(order[static_cast<std::size_t>(begin + r)]);
                ws.gemm().multiply_transposed(xb, s, g);
                if (param_.beta != 1.0) g *= beta;
                for (Index r = 0; r < rows; ++r) {
                    const Scalar m = g.row(r).maxCoeff();
                    out(order[static_cast<std::size_t>(begin + r)]) = m + std::log(exp_no_subnormal(g.row(r).array() - m).sum());
                }
            }
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

    bool is_fitted() const { return !patterns_.empty(); }
    Index num_classes() const { return static_cast<Index>(patterns_.size()); }
    Index feature_dim() const { return feature_dim_; }
    /// S^c, one stored pattern per row (N_c x D).
    const RowMatrix<Scalar>& patterns(Index c) const {
        if (c < 0 || c >= num_classes()) throw_invalid("MheScorer::patterns", "class ", c, " is outside [0, ", num_classes(), ")");
        return patterns_[static_cast<std::size_t>(c)];
    }
    /// N_c, the number of stored patterns of each class.
    std::vector<Index> pattern_counts() const {
        std::vector<Index> counts;
        for (const auto& s : patterns_) counts.push_back(s.rows());
        return counts;
    }
    const Param& param() const { return param_; }

private:
    /// Rows of class c scored per GEMM: at most ~4M similarities (16 MB in float) alive at
    /// once, whatever n and N_c.
    Index block_rows(Index c) const {
        return std::max<Index>(1, (Index(1) << 22) / std::max<Index>(1, patterns_[static_cast<std::size_t>(c)].rows()));
    }

    Param param_;
    std::vector<RowMatrix<Scalar>> patterns_;
    Index feature_dim_ = 0;
};

}  // namespace reclag
