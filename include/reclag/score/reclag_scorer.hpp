// reclag: the RecLag scorer on the shared scorer contract (score/scorer.hpp), name "reclag".
//
// score(x) = r(x) = LSE_mu(beta xi_mu . x~) (higher = more in-distribution), with x~ the feature
// scaled to L2 norm `norm` (0 = unscaled); decision: OOD iff G(x) = r(x) - log gamma < 0.
// See score/reclag_score.hpp for the formulas and the fused GEMM + LSE kernel.
//
// Where xi comes from:
//  - given: construct from xi (global) or a vector of per-class xi, or call set_interaction();
//    fit() then only calibrates log gamma on the ID-fit split (fraction target_tpr kept).
//  - trained: set_trainer(t) installs a callable that fit() calls first to produce xi from the
//    ID-fit data (the SFNN trainer of Section 5 plugs in here); it then calibrates as above.
#pragma once

#include <functional>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/types.hpp"
#include "reclag/score/feature_view.hpp"
#include "reclag/score/reclag_score.hpp"
#include "reclag/score/scorer.hpp"

namespace reclag {

/// What a trainer hands back: one global xi (per_class = false, xi.size() == 1) or one per class.
template <typename Scalar>
struct ReclagInteraction {
    std::vector<RowMatrix<Scalar>> xi;
    bool per_class = false;
};

template <typename Scalar_>
class ReclagScorer {
public:
    using Scalar = Scalar_;
    static_assert(is_supported_scalar_v<Scalar>, "reclag::ReclagScorer: Scalar must be float or double");
    static constexpr const char* name = "reclag";
    /// Reusable scoring scratch and thread count (score/reclag_workspace.hpp).
    using Workspace = ReclagWorkspace<Scalar>;

    struct Param {
        /// Inverse temperature beta (> 0). Paper and public code: 5.
        Scalar beta = Scalar(5);
        /// L2 radius the features are scaled to (>= 0); 0 = raw features (the public code's preset).
        Scalar norm = Scalar(10);
        /// Fraction of ID-fit samples kept on the ID side (G >= 0) when fit() calibrates log gamma.
        double target_tpr = 0.95;
        void check_param() const {
            typename ReclagScore<Scalar>::Param{beta, norm}.check_param();
            if (!(target_tpr > 0.0 && target_tpr <= 1.0))
                throw_invalid("ReclagScorer::Param", "target_tpr must be in (0, 1] (got ", target_tpr, ")");
        }
    };

    /// Produces xi from the ID-fit split (and the head, null in fit(1)); called by fit().
    using Trainer = std::function<ReclagInteraction<Scalar>(const FeatureView<Scalar>& id_fit,
                                                            const ClassifierHead<Scalar>* head, const Param& p)>;

    /// No xi yet: call set_interaction() or set_trainer() before fit().
    explicit ReclagScorer(Param p = {}) : param_(p) { param_.check_param(); }

    /// A given global xi (N_H x D).
    template <typename DerivedXi>
    explicit ReclagScorer(const Eigen::MatrixBase<DerivedXi>& xi, Param p = {}) : param_(p) {
        param_.check_param();
        set_interaction(xi);
    }

    /// Given per-class xi (C matrices): samples are routed by argmax of their logits.
    explicit ReclagScorer(std::vector<RowMatrix<Scalar>> xi_per_class, Param p = {}) : param_(p) {
        param_.check_param();
        set_interaction(std::move(xi_per_class));
    }

    template <typename DerivedXi>
    void set_interaction(const Eigen::MatrixBase<DerivedXi>& xi) {
        detector_ = ReclagScore<Scalar>(xi, detector_param());
        fitted_ = false;
    }
    void set_interaction(std::vector<RowMatrix<Scalar>> xi_per_class) {
        detector_ = ReclagScore<Scalar>(std::move(xi_per_class), detector_param());
        fitted_ = false;
    }
    void set_trainer(Trainer t) { trainer_ = std::move(t); }

    /// Calibrates log gamma on id_fit (training xi first if a trainer is set). A per-class
    /// detector needs logits in id_fit for routing.
    void fit(const FeatureView<Scalar>& id_fit) { fit_impl(id_fit, nullptr); }
    void fit(const FeatureView<Scalar>& id_fit, const ClassifierHead<Scalar>& head) { fit_impl(id_fit, &head); }

    /// r(x) per row (higher = more in-distribution).
    Vector<Scalar> score(const FeatureView<Scalar>& split) const {
        Vector<Scalar> out(split.rows());
        score(split, out);
        return out;
    }
    void score(const FeatureView<Scalar>& split, Eigen::Ref<Vector<Scalar>> out) const {
        Workspace ws;
        score(split, out, ws);
    }
    /// Same, reusing `ws` across calls (one workspace per concurrent caller): after the first
    /// call at a batch size, no heap allocation; ws.num_threads() threads, bit-identical scores.
    /// Non-finite features are rejected as by every scorer (the first bad row and column named),
    /// but the scan of the features runs only when a score comes out non-finite: a NaN or inf
    /// feature always makes its row's score NaN or inf (it reaches x xi^T and ||x||), so the
    /// check costs nothing on valid data (a full pass over n x D otherwise, ~3 % of the GEMM).
    /// `out` is then overwritten even though the call throws.
    void score(const FeatureView<Scalar>& split, Eigen::Ref<Vector<Scalar>> out, Workspace& ws) const {
        const char* where = "ReclagScorer::score";
        const ScoreChecks checks{where};
        checks.fitted(fitted_);
        check_cols(where, "features", split.feature_dim(), detector_.feature_dim());
        check_size(where, "out", out.size(), split.rows());
        if (detector_.per_class()) {
            checks.logits(split, detector_.num_classes());  // before routing: argmax needs finite logits
            detector_.scores_into(split.features(), split.logits(), out, ws);
        } else {
            detector_.scores_into(split.features(), out, ws);
        }
        if (!all_finite_fast(out)) check_finite(where, "features", split.features());
        checks.scores(out);
    }

    /// G(x) = r(x) - log gamma per row (the shared RecLag gate, Eq. 13).
    Vector<Scalar> gate(const FeatureView<Scalar>& split) const { return detector_.gate_from_scores(score(split)); }
    /// OOD iff G(x) < 0 (Theorem 3).
    Eigen::Matrix<bool, Eigen::Dynamic, 1> is_ood(const FeatureView<Scalar>& split) const {
        return detector_.is_ood_from_scores(score(split));
    }

    bool is_fitted() const { return fitted_; }
    bool has_interaction() const { return !detector_.empty(); }
    Scalar log_gamma() const { return detector_.log_gamma(); }
    /// Sets the decision threshold directly (e.g. the public code's gamma = N_H: log N_H) and
    /// marks the scorer fitted when it has xi.
    void set_log_gamma(Scalar lg) {
        if (detector_.empty()) throw_invalid("ReclagScorer::set_log_gamma", "no interaction matrix xi yet");
        detector_.set_log_gamma(lg);
        fitted_ = true;
    }
    const Param& param() const { return param_; }
    const ReclagScore<Scalar>& detector() const { return detector_; }

private:
    typename ReclagScore<Scalar>::Param detector_param() const { return {param_.beta, param_.norm}; }

    void fit_impl(const FeatureView<Scalar>& id_fit, const ClassifierHead<Scalar>* head) {
        const char* where = "ReclagScorer::fit";
        check_nonempty(where, "id_fit", id_fit.rows());
        if (trainer_) {
            ReclagInteraction<Scalar> inter = trainer_(id_fit, head, param_);
            if (inter.per_class)
                set_interaction(std::move(inter.xi));
            else if (inter.xi.size() == 1)
                set_interaction(inter.xi.front());
            else
                throw_invalid(where, "the trainer returned ", inter.xi.size(), " global interaction matrices, expected 1");
        }
        if (detector_.empty()) throw_invalid(where, "no interaction matrix xi: construct with xi, or set_interaction()/set_trainer()");
        // The calibration below scores id_fit; validating it here first makes a bad fit split
        // name fit(), not score() (tests/reliability/bad_input_test.cpp).
        const ScoreChecks checks{where};
        checks.features(id_fit, detector_.feature_dim());
        if (detector_.per_class()) checks.logits(id_fit, detector_.num_classes());
        fitted_ = true;  // score() below needs it; undone if calibration throws
        try {
            const Vector<Scalar> r = score(id_fit);
            detector_.calibrate_from_scores(r, param_.target_tpr);
        } catch (...) {
            fitted_ = false;
            throw;
        }
    }

    Param param_;
    ReclagScore<Scalar> detector_;
    Trainer trainer_;
    bool fitted_ = false;
};

}  // namespace reclag
