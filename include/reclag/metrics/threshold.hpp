// reclag: calibrating a deployed detector: the score threshold that keeps a given fraction of
// ID validation samples.
#pragma once

#include <algorithm>
#include <vector>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/metrics/ranked_scores.hpp"

namespace reclag {

/// The score threshold t that keeps at least the fraction `tpr` of `id_scores` under the rule
/// "score >= t  =>  ID" (score < t => OOD). t is the k-th largest ID score with k the smallest
/// integer such that k / n >= tpr, so exactly k samples are kept when no other ID score ties
/// with t (ties at t are all kept, a fraction > tpr). Default tpr 0.95 (the FPR95 operating
/// point): t is the threshold of the ROC point at which fpr_at_tpr reads FPR95 (ID positive,
/// every threshold), and for the RecLag scorer log(gamma) = t makes G(x) = r(x) - log(gamma)
/// >= 0 exactly on the kept samples (Theorem 3). O(n) (std::nth_element on a copy).
/// Throws reclag::invalid_argument for empty or non-finite scores or tpr outside (0, 1].
template <typename Derived>
double threshold_at_tpr(const Eigen::MatrixBase<Derived>& id_scores, double tpr = 0.95) {
    if (!(tpr > 0.0 && tpr <= 1.0)) throw_invalid("threshold_at_tpr", "tpr must be in (0, 1] (got ", tpr, ")");
    std::vector<double> s = detail::copy_scores("threshold_at_tpr", "id_scores", id_scores);
    const Index n = static_cast<Index>(s.size());
    const Index k = detail::min_count_for_rate(n, tpr);
    const auto nth = s.begin() + (n - k);  // ascending position of the k-th largest
    std::nth_element(s.begin(), nth, s.end());
    return *nth;
}

}  // namespace reclag
