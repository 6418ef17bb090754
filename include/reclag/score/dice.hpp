// reclag: DICE, directed sparsification of the last layer (Sun & Li, ECCV 2022).
#pragma once

#include <algorithm>
#include <vector>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/numeric.hpp"
#include "reclag/core/percentile.hpp"
#include "reclag/core/types.hpp"
#include "reclag/score/feature_view.hpp"
#include "reclag/score/logit_blocks.hpp"
#include "reclag/score/score_workspace.hpp"
#include "reclag/score/scorer.hpp"

namespace reclag {

/// DICE: m = mean ID-fit feature; contributions V = m[None, :] * W (C x D);
/// thr = the p-th percentile of all C*D entries of V (NumPy 'linear'); mask = V > thr (strict:
/// entries equal to thr are dropped, which matters when many contributions are exactly 0);
///   score(x) = LSE(x (W * mask)^T + b)          (energy with the sparsified head, T = 1).
/// m, V and thr are computed in double for both Scalars so the mask matches the reference.
template <typename Scalar_>
class DiceScorer {
public:
    using Scalar = Scalar_;
    static_assert(is_supported_scalar_v<Scalar>, "reclag::DiceScorer: Scalar must be float or double");
    static constexpr const char* name = "dice";
    static constexpr bool needs_head = true;  // fit() needs the classifier head (W, b)
    using Workspace = ScoreWorkspace<Scalar>;

    struct Param {
        /// Sparsity percentile p in [0, 100] (OpenOOD default 90: ~10% of the weights survive).
        double percentile = 90.0;
        void check_param() const {
            if (!(percentile >= 0.0 && percentile <= 100.0))
                throw_invalid("DiceScorer::Param", "percentile must be in [0, 100] (got ", percentile, ")");
        }
    };

    explicit DiceScorer(Param p = {}) : param_(p) { param_.check_param(); }

    /// DICE needs the head; always throws.
    void fit(const FeatureView<Scalar>&) {
        throw_invalid("DiceScorer::fit", "DICE needs the classifier head: call fit(id_fit, head)");
    }

    void fit(const FeatureView<Scalar>& id_fit, const ClassifierHead<Scalar>& head) {
        const char* where = "DiceScorer::fit";
        check_nonempty(where, "id_fit", id_fit.rows());
        if (head.empty()) throw_invalid(where, "the classifier head is empty");
        check_cols(where, "features", id_fit.feature_dim(), head.feature_dim());
        check_finite(where, "features", id_fit.features());
        mean_act_ = id_fit.features().template cast<double>().colwise().mean().transpose();
        const RowMatrix<double> contrib = head.weight().template cast<double>().array().rowwise() * mean_act_.transpose().array();
        threshold_ = percentile_numpy_linear(std::vector<double>(contrib.data(), contrib.data() + contrib.size()), param_.percentile);
        mask_ = (contrib.array() > threshold_).matrix();
        masked_weight_ = head.weight().array() * mask_.template cast<Scalar>().array();
        bias_ = head.bias();
        fitted_ = true;
    }

    /// Scores into `out`, reusing `ws` across calls: after the first call at a batch size, no
    /// heap allocation (one workspace per concurrent caller; see score/score_workspace.hpp).
    void score(const FeatureView<Scalar>& split, Eigen::Ref<Vector<Scalar>> out, Workspace& ws) const {
        const char* where = "DiceScorer::score";
        const ScoreChecks checks{where};
        checks.fitted(fitted_);
        checks.features(split, masked_weight_.cols());
        check_size(where, "out", out.size(), split.rows());
        const auto x = split.features();
        // Blocks of rows bound the logits buffer (block x C); the GEMM reads x in place.
        constexpr Index block = 4096;
        auto z = ws.matrix(0, std::min(block, x.rows()), masked_weight_.rows());
        for (Index begin = 0; begin < x.rows(); begin += block) {
            const Index rows = std::min(block, x.rows() - begin);
            auto z_rows = z.topRows(rows);
            ws.gemm().multiply_transposed(x.middleRows(begin, rows), masked_weight_, z_rows);
            z_rows.rowwise() += bias_.transpose();
            detail::rowwise_lse_blocks(z_rows, Scalar(1), out.segment(begin, rows));  // max-shifted (logit_blocks.hpp)
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
    /// m, the mean ID-fit feature (D), double.
    const Eigen::VectorXd& mean_activation() const { return mean_act_; }
    double threshold() const { return threshold_; }
    /// C x D: true where the weight is kept.
    const Eigen::Matrix<bool, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>& mask() const { return mask_; }
    /// W * mask (C x D).
    const RowMatrix<Scalar>& masked_weight() const { return masked_weight_; }

private:
    Param param_;
    Eigen::VectorXd mean_act_;
    double threshold_ = 0.0;
    Eigen::Matrix<bool, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> mask_;
    RowMatrix<Scalar> masked_weight_;
    Vector<Scalar> bias_;
    bool fitted_ = false;
};

using DiceScorerf = DiceScorer<float>;
using DiceScorerd = DiceScorer<double>;

}  // namespace reclag
