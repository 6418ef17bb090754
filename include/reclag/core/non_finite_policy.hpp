// reclag: what to do with NaN or infinite inputs (features, logits) or scores. One enum shared
// by the scoring helper score_finite_rows (score/non_finite_rows.hpp) and the metrics
// (MetricsParam::non_finite), so the two cannot drift apart.
#pragma once

namespace reclag {

/// The non-finite policy. Default everywhere: Reject, never a silent NaN score.
enum class NonFinitePolicy {
    /// Throw reclag::invalid_argument naming the function, the array and the first bad row and
    /// column (or index): every scorer's score() and every metric does this.
    Reject,
    /// Opt-in: a row (or score) with a NaN or infinite value gets the lowest finite score,
    /// std::numeric_limits<Scalar>::lowest(), i.e. it is OOD under every threshold, and is
    /// reported in a mask; the other rows are scored as usual. Never NaN.
    ScoreAsOod,
};

inline const char* to_string(NonFinitePolicy p) { return p == NonFinitePolicy::Reject ? "reject" : "score as OOD"; }

}  // namespace reclag
