// reclag: ReAct (Sun, Guo & Li 2021): clip the penultimate activations at a high percentile of
// the ID activations, recompute the logits with the classifier head, take the energy score.
#pragma once

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/percentile.hpp"
#include "reclag/core/types.hpp"
#include "reclag/score/feature_view.hpp"
#include "reclag/score/logit_blocks.hpp"
#include "reclag/score/score_workspace.hpp"
#include "reclag/score/scorer.hpp"

namespace reclag {

/// ReAct score s(x) = LSE_j( (min(x, c) W^T + b)_j ): the energy score (T = 1) of logits
/// recomputed from the features clipped at c, where c is the p-th percentile of every
/// activation of the ID fit features, flattened, computed in double exactly as np.percentile
/// ('linear') does (core/percentile.hpp: one O(n) selection, no full sort of the 6M values).
/// Needs the classifier head (W, b): fit(id_fit) without it throws. The split's logits are not
/// read; its features must have the head's dimension D.
template <typename Scalar_>
class ReActScorer {
public:
    using Scalar = Scalar_;
    static_assert(is_supported_scalar_v<Scalar>, "reclag::ReActScorer: Scalar must be float or double");
    static constexpr const char* name = "react";
    static constexpr bool needs_head = true;
    using Workspace = ScoreWorkspace<Scalar>;

    struct Param {
        /// Clip percentile p in (0, 100]. Default 90, the ReAct paper's and the DESIGN's choice.
        double percentile = 90.0;
        void check_param() const {
            if (!(percentile > 0.0 && percentile <= 100.0))
                throw_invalid("ReActScorer::Param", "percentile must lie in (0, 100] (got ", percentile, ")");
        }
    };

    explicit ReActScorer(Param p = {}) : param_(p) { param_.check_param(); }

    /// Always throws: ReAct recomputes the logits and so needs the head.
    void fit(const FeatureView<Scalar>& /*id_fit*/) {
        throw_invalid("ReActScorer::fit", "ReAct needs the classifier head (W, b); call fit(id_fit, head)");
    }

    /// Learns the clip threshold from the fit features and copies W and b.
    void fit(const FeatureView<Scalar>& id_fit, const ClassifierHead<Scalar>& head) {
        const char* where = "ReActScorer::fit";
        if (head.empty()) throw_invalid(where, "the classifier head is empty");
        check_nonempty(where, "the fit split", id_fit.rows());
        check_cols(where, "features", id_fit.feature_dim(), head.feature_dim());
        const auto x = id_fit.features();
        check_finite(where, "features", x);
        std::vector<double> values;  // widened once: float -> double is exact, so the order is the same
        values.reserve(static_cast<std::size_t>(x.size()));
        for (Index i = 0; i < x.rows(); ++i)
            for (Index j = 0; j < x.cols(); ++j) values.push_back(static_cast<double>(x(i, j)));
        threshold_ = percentile_numpy_linear(std::move(values), param_.percentile);
        weight_ = head.weight();
        bias_ = head.bias();
    }

    /// Scores into `out`, reusing `ws` across calls: after the first call at a batch size, no
    /// heap allocation (one workspace per concurrent caller; see score/score_workspace.hpp).
    void score(const FeatureView<Scalar>& split, Eigen::Ref<Vector<Scalar>> out, Workspace& ws) const {
        const ScoreChecks checks{"ReActScorer::score"};
        checks.fitted(is_fitted());
        checks.features(split, feature_dim());
        check_size("ReActScorer::score", "out", out.size(), split.rows());
        const auto x = split.features();
        const Scalar c = static_cast<Scalar>(threshold_);
        // Blocks of rows bound the temporaries (block x D clipped features, block x C logits).
        constexpr Index block = 1024;
        const Index capacity = std::min(block, x.rows());
        auto clipped = ws.matrix(0, capacity, x.cols());
        auto z = ws.matrix(1, capacity, weight_.rows());
        for (Index begin = 0; begin < x.rows(); begin += block) {
            const Index rows = std::min(block, x.rows() - begin);
            auto clipped_rows = clipped.topRows(rows);
            auto z_rows = z.topRows(rows);
            clipped_rows = x.middleRows(begin, rows).cwiseMin(c);
            ws.gemm().multiply_transposed(clipped_rows, weight_, z_rows);
            z_rows.rowwise() += bias_.transpose();
            detail::rowwise_lse_blocks(z_rows, Scalar(1), out.segment(begin, rows));  // max-shifted, whole-array exp
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

    bool is_fitted() const { return weight_.size() > 0; }
    /// The clip threshold c (the p-th percentile of the ID fit activations), in double.
    double threshold() const { return threshold_; }
    Index feature_dim() const { return weight_.cols(); }
    Index num_classes() const { return weight_.rows(); }
    const Param& param() const { return param_; }

private:
    Param param_;
    double threshold_ = 0.0;
    RowMatrix<Scalar> weight_;
    Vector<Scalar> bias_;
};

}  // namespace reclag
