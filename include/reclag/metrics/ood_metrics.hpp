// reclag: every OOD evaluation metric of a scorer at once, from one sort of the scores.
// Conventions: metrics/metrics_param.hpp (ID positive by default, higher score = ID).
#pragma once

#include <cstdint>

#include <Eigen/Core>

#include "reclag/metrics/metrics_param.hpp"
#include "reclag/metrics/pr.hpp"
#include "reclag/metrics/ranked_scores.hpp"
#include "reclag/metrics/roc.hpp"
#include "reclag/metrics/threshold.hpp"

namespace reclag {

/// The standard OOD table row (fractions in [0, 1], not percent).
struct OodMetrics {
    /// FPR at TPR = param.tpr (FPR95 by default). ID positive (default): fraction of OOD
    /// accepted when a fraction >= tpr of ID is kept. PositiveClass::Ood: fraction of ID
    /// rejected when a fraction >= tpr of OOD is caught (OpenOOD).
    double fpr95 = 0.0;
    /// Score threshold of that ROC point: ID positive => score >= it is ID; OOD positive =>
    /// score <= it is OOD.
    double fpr95_threshold = 0.0;
    /// TPR actually reached at that point (>= param.tpr; larger when ties straddle the target).
    double fpr95_tpr = 0.0;
    double auroc = 0.0;     ///< area under the ROC curve (sklearn roc_auc_score)
    double aupr_in = 0.0;   ///< ID positive, estimator param.aupr
    double aupr_out = 0.0;  ///< OOD positive (negated scores), estimator param.aupr
    std::int64_t num_id = 0;
    std::int64_t num_ood = 0;
    MetricsParam param;     ///< the settings these numbers were computed with
};

/// All metrics from an already ranked pair of score sets.
inline OodMetrics evaluate_ood(const RankedScores& ranked, const MetricsParam& p = {}) {
    p.check_param();
    OodMetrics m;
    const RocPoint pt = roc_point_at_tpr(ranked, p);
    m.fpr95 = pt.fpr;
    m.fpr95_threshold = pt.threshold;
    m.fpr95_tpr = pt.tpr;
    m.auroc = auroc(ranked);
    m.aupr_in = aupr(ranked, PositiveClass::Id, p.aupr);
    m.aupr_out = aupr(ranked, PositiveClass::Ood, p.aupr);
    m.num_id = ranked.num_id();
    m.num_ood = ranked.num_ood();
    m.param = p;
    return m;
}

/// All metrics of ID scores vs OOD scores (float or double vectors; higher = ID).
///   reclag::OodMetrics m = reclag::evaluate_ood(score_id, score_ood);   // m.fpr95, m.auroc, ...
/// Throws reclag::invalid_argument for an empty score vector, a non-finite score (naming the
/// vector and the index; p.non_finite = ScoreAsOod ranks it lowest instead) or an invalid Param.
template <typename D1, typename D2>
OodMetrics evaluate_ood(const Eigen::MatrixBase<D1>& id_scores, const Eigen::MatrixBase<D2>& ood_scores,
                        const MetricsParam& p = {}) {
    p.check_param();
    return evaluate_ood(RankedScores(id_scores, ood_scores, "evaluate_ood", p.non_finite), p);
}

}  // namespace reclag
