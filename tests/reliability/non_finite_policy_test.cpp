// The opt-in non-finite policy (core/non_finite_policy.hpp), end to end:
//  - score_finite_rows(scorer, split, NonFinitePolicy::ScoreAsOod) for EVERY registered scorer
//    in float and double: a row with a NaN / +inf / -inf feature or logit gets exactly
//    numeric_limits<T>::lowest(), is marked in the mask and listed (ascending) in `rows`, and
//    the clean rows' scores are bit-identical to scoring only those rows directly. The default
//    (Reject) is exactly score(): it throws, naming the scorer, row and column.
//  - the metrics with MetricsParam::non_finite = ScoreAsOod: a non-finite score ranks below
//    every finite one (a NaN ID sample is missed, a NaN OOD sample is caught), worked by hand.
//  - metrics bad input not already in tests/metrics/ood_metrics_test.cpp (which covers an empty
//    id side for evaluate_ood / auroc, NaN with Reject for evaluate_ood / fpr_at_tpr / roc_curve,
//    and the double all-equal golden case).
#include <catch2/catch.hpp>

#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <reclag/metrics/ood_metrics.hpp>
#include <reclag/score/non_finite_rows.hpp>
#include <reclag/score/registry.hpp>

#include "bad_input_fixture.hpp"

using Catch::Matchers::Contains;
using reclag::Index;
using reclag::NonFinitePolicy;
using reclag_test::scorer_facts;
using reclag_test::non_finite_values;
using reclag_test::TinyData;

namespace {

/// Rows `keep` of m, gathered by hand (independent of the helper's Eigen::all indexing).
template <typename T>
reclag::RowMatrix<T> gather_rows(const reclag::RowMatrix<T>& m, const std::vector<Index>& keep) {
    reclag::RowMatrix<T> out(static_cast<Index>(keep.size()), m.cols());
    for (std::size_t k = 0; k < keep.size(); ++k) out.row(static_cast<Index>(k)) = m.row(keep[k]);
    return out;
}

/// Bit-level equality (a NaN would compare unequal to itself, -0.0 equal to 0.0: neither is
/// what "bit-identical" means).
template <typename T>
bool same_bits(T a, T b) {
    return std::memcmp(&a, &b, sizeof(T)) == 0;
}

reclag::MetricsParam as_ood() {
    reclag::MetricsParam p;
    p.non_finite = NonFinitePolicy::ScoreAsOod;
    return p;
}

}  // namespace

TEMPLATE_TEST_CASE("ScoreAsOod: bad rows get lowest(), are marked, and clean rows score bit-identically",
                   "[reliability][non_finite]", float, double) {
    using T = TestType;
    const TinyData<T> t;
    const T lowest = std::numeric_limits<T>::lowest();
    // Rows 2 and 11: a bad feature; row 5: a bad logit; row 11 also a bad logit (one row, two
    // reasons: listed once). Expected rows, ascending: {2, 5, 11}.
    const std::vector<Index> bad_rows = {2, 5, 11};
    std::vector<Index> clean_rows;
    for (Index i = 0; i < t.n; ++i)
        if (i != 2 && i != 5 && i != 11) clean_rows.push_back(i);
    for (const auto& f : scorer_facts()) {
        const auto s = t.fitted(f.name);
        for (const T bad : non_finite_values<T>()) {
            INFO(f.name << " with " << bad);
            reclag::RowMatrix<T> x = t.x, z = t.z;
            x(2, 1) = bad;
            x(11, 3) = bad;
            z(5, 0) = bad;
            z(11, 2) = bad;
            const reclag::ScoredRows<T> r = reclag::score_finite_rows(s, reclag::FeatureView<T>(x, z), NonFinitePolicy::ScoreAsOod);
            REQUIRE(r.scores.size() == t.n);
            REQUIRE(r.non_finite.size() == t.n);
            CHECK(r.rows == bad_rows);
            CHECK_FALSE(r.all_finite());
            // The oracle for the clean rows: the scorer's own score() on a batch of only them.
            const reclag::RowMatrix<T> xc = gather_rows(t.x, clean_rows), zc = gather_rows(t.z, clean_rows);
            const reclag::Vector<T> direct = s.score(reclag::FeatureView<T>(xc, zc));
            REQUIRE(direct.size() == static_cast<Index>(clean_rows.size()));
            for (Index i = 0; i < t.n; ++i) {
                const bool is_bad = i == 2 || i == 5 || i == 11;
                CHECK(r.non_finite(i) == is_bad);
                if (is_bad) CHECK(same_bits(r.scores(i), lowest));  // exactly lowest(): never NaN, never -inf
            }
            for (std::size_t k = 0; k < clean_rows.size(); ++k) {
                INFO("clean row " << clean_rows[k]);
                CHECK(same_bits(r.scores(clean_rows[k]), direct(static_cast<Index>(k))));
            }
            CHECK(reclag_test::all_finite(r.scores));
        }
    }
}

TEMPLATE_TEST_CASE("ScoreAsOod: a view without logits (feature-only scorers)", "[reliability][non_finite]", float, double) {
    using T = TestType;
    const TinyData<T> t;
    reclag::RowMatrix<T> x = t.x;
    x(0, 0) = std::numeric_limits<T>::quiet_NaN();
    x(14, 2) = -std::numeric_limits<T>::infinity();
    std::vector<Index> clean_rows;
    for (Index i = 1; i < 14; ++i) clean_rows.push_back(i);
    const reclag::RowMatrix<T> xc = gather_rows(t.x, clean_rows);
    for (const auto& f : scorer_facts()) {
        if (f.reads_logits) continue;  // these need logits at score time
        INFO(f.name);
        const auto s = t.fitted(f.name);
        const auto r = reclag::score_finite_rows(s, reclag::FeatureView<T>(x), NonFinitePolicy::ScoreAsOod);
        CHECK(r.rows == std::vector<Index>{0, 14});
        CHECK(same_bits(r.scores(0), std::numeric_limits<T>::lowest()));
        CHECK(same_bits(r.scores(14), std::numeric_limits<T>::lowest()));
        const reclag::Vector<T> direct = s.score(reclag::FeatureView<T>(xc));
        for (std::size_t k = 0; k < clean_rows.size(); ++k) CHECK(same_bits(r.scores(clean_rows[k]), direct(static_cast<Index>(k))));
    }
}

TEMPLATE_TEST_CASE("Reject (the default) is exactly score(): it throws naming the scorer, row and column",
                   "[reliability][non_finite]", float, double) {
    using T = TestType;
    const TinyData<T> t;
    for (const auto& f : scorer_facts()) {
        const auto s = t.fitted(f.name);
        const std::string where = std::string(f.cls) + "::score";
        for (const T bad : non_finite_values<T>()) {
            INFO(f.name << " with " << bad);
            reclag::RowMatrix<T> x = t.x, z = t.z;
            x(7, 3) = bad;
            z(9, 1) = bad;
            const reclag::FeatureView<T> bad_x(x, t.z), bad_z(t.x, z);
            if (f.reads_features) {
                // Both the default argument and the explicit policy.
                REQUIRE_THROWS_MATCHES(reclag::score_finite_rows(s, bad_x), reclag::invalid_argument,
                                       reclag_test::what(Contains(where) && Contains("features has a non-finite value") &&
                                           Contains("at row 7, column 3")));
                REQUIRE_THROWS_MATCHES(reclag::score_finite_rows(s, bad_x, NonFinitePolicy::Reject), reclag::invalid_argument,
                                       reclag_test::what(Contains(where) && Contains("at row 7, column 3")));
            } else {
                // The scorer never reads the features, so Reject has nothing to reject: the result
                // is score() itself, mask all false.
                const auto r = reclag::score_finite_rows(s, bad_x);
                CHECK(r.scores == s.score(t.fit_view()));
                CHECK(r.rows.empty());
                CHECK_FALSE(r.non_finite.any());
            }
            if (f.reads_logits) {
                REQUIRE_THROWS_MATCHES(reclag::score_finite_rows(s, bad_z), reclag::invalid_argument,
                                       reclag_test::what(Contains(where) && Contains("logits has a non-finite value") &&
                                           Contains("at row 9, column 1")));
            } else {
                const auto r = reclag::score_finite_rows(s, bad_z);
                CHECK(r.scores == s.score(t.fit_view()));
                CHECK(r.rows.empty());
            }
        }
    }
    // A policy value outside the enum is refused by name.
    const auto msp = t.fitted("msp");
    REQUIRE_THROWS_MATCHES(reclag::score_finite_rows(msp, t.fit_view(), static_cast<NonFinitePolicy>(9)), reclag::invalid_argument,
                           reclag_test::what(Contains("score_finite_rows: policy is not a NonFinitePolicy value")));
}

TEMPLATE_TEST_CASE("ScoreAsOod: every row bad, and no row bad", "[reliability][non_finite]", float, double) {
    using T = TestType;
    const TinyData<T> t;
    std::vector<Index> all_rows;
    for (Index i = 0; i < t.n; ++i) all_rows.push_back(i);
    for (const auto& f : scorer_facts()) {
        INFO(f.name);
        const auto s = t.fitted(f.name);
        // Every row bad (alternating a feature and a logit, NaN and inf): every score lowest(),
        // and the scorer is handed an empty batch (which gives an empty result, bad_input_test).
        reclag::RowMatrix<T> x = t.x, z = t.z;
        for (Index i = 0; i < t.n; ++i) {
            if (i % 2 == 0) x(i, i % t.d) = std::numeric_limits<T>::quiet_NaN();
            else z(i, i % t.c) = std::numeric_limits<T>::infinity();
        }
        const auto all_bad = reclag::score_finite_rows(s, reclag::FeatureView<T>(x, z), NonFinitePolicy::ScoreAsOod);
        CHECK(all_bad.rows == all_rows);
        CHECK(all_bad.non_finite.all());
        REQUIRE(all_bad.scores.size() == t.n);
        for (Index i = 0; i < t.n; ++i) CHECK(same_bits(all_bad.scores(i), std::numeric_limits<T>::lowest()));
        // No row bad: exactly score(split), nothing marked.
        const auto none = reclag::score_finite_rows(s, t.fit_view(), NonFinitePolicy::ScoreAsOod);
        const reclag::Vector<T> direct = s.score(t.fit_view());
        CHECK(none.all_finite());
        CHECK(none.rows.empty());
        CHECK_FALSE(none.non_finite.any());
        REQUIRE(none.scores.size() == t.n);
        for (Index i = 0; i < t.n; ++i) CHECK(same_bits(none.scores(i), direct(i)));
        // An empty split: empty result under both policies.
        const reclag::RowMatrix<T> x0 = t.x.topRows(0), z0 = t.z.topRows(0);
        CHECK(reclag::score_finite_rows(s, reclag::FeatureView<T>(x0, z0), NonFinitePolicy::ScoreAsOod).scores.size() == 0);
        CHECK(reclag::score_finite_rows(s, reclag::FeatureView<T>(x0, z0)).scores.size() == 0);
    }
}

// ----------------------------------------------------------------------------------------------
// Metrics with MetricsParam::non_finite = ScoreAsOod.

TEMPLATE_TEST_CASE("metrics ScoreAsOod, worked by hand: ID {3, 2, NaN} vs OOD {1, NaN}", "[reliability][non_finite][metrics]",
                   float, double) {
    using T = TestType;
    const T nan = std::numeric_limits<T>::quiet_NaN();
    reclag::Vector<T> id(3), ood(2);
    id << T(3), T(2), nan;
    ood << T(1), nan;
    // Each NaN becomes L = lowest (below every finite score; the two NaNs tie with each other).
    // Distinct values, descending, with (ID, OOD) counts: 3 (1, 0), 2 (1, 0), 1 (0, 1), L (1, 1).
    // ROC, ID positive, TPR = ID kept / 3, FPR = OOD accepted / 2:
    //   (0, 0) -> t=3 (0, 1/3) -> t=2 (0, 2/3) -> t=1 (1/2, 2/3) -> t=L (1, 1).
    // At t=1 the NaN ID is missed (TPR 2/3, not 1) and the NaN OOD is caught (FPR 1/2: only the
    // OOD scoring 1 is accepted).
    // AUROC by pairs (6 ID-OOD pairs): 3>1, 3>L, 2>1, 2>L win; L(ID) < 1 loses; L = L ties 1/2:
    //   4.5 / 6 = 3/4. (Trapezoid: 1/2 * 2/3 + 1/2 * (2/3 + 1)/2 = 1/3 + 5/12 = 3/4.)
    // FPR95: TPR >= 0.95 needs the NaN ID kept, i.e. t = L, which accepts both OOD: FPR = 1.
    //   At TPR 0.6 (t = 2) FPR = 0; at TPR 0.7 (t = L) FPR = 1.
    // AUPR-In (ID positive), (R, P) per point after (0, 1): (1/3, 1), (2/3, 1), (2/3, 2/3), (1, 3/5).
    //   Trapezoid: 1/3 + 1/3 + 0 + 1/3 (2/3 + 3/5)/2 = 2/3 + 19/90 = 79/90.
    //   Average precision: 1/3 * 1 + 1/3 * 1 + 1/3 * 3/5 = 13/15.
    // AUPR-Out (OOD positive, scanning up): t=L (R, P) = (1/2, 1/2); t=1 (1, 2/3); then recall 1.
    //   Trapezoid from (0, 1): 1/2 (1 + 1/2)/2 + 1/2 (1/2 + 2/3)/2 = 3/8 + 7/24 = 2/3.
    //   Average precision: 1/2 * 1/2 + 1/2 * 2/3 = 7/12.
    // OpenOOD FPR (OOD positive): t=L catches 1/2 of OOD; t=1 catches all, rejecting ID {L}: 1/3.
    const reclag::MetricsParam p = as_ood();
    const reclag::OodMetrics m = reclag::evaluate_ood(id, ood, p);
    CHECK(m.auroc == 0.75);
    CHECK(m.fpr95 == 1.0);
    CHECK(m.fpr95_tpr == 1.0);
    CHECK(m.fpr95_threshold == std::numeric_limits<double>::lowest());
    CHECK(m.aupr_in == Approx(79.0 / 90.0).epsilon(1e-14));
    CHECK(m.aupr_out == Approx(2.0 / 3.0).epsilon(1e-14));
    CHECK(m.num_id == 3);
    CHECK(m.num_ood == 2);
    CHECK(m.param.non_finite == NonFinitePolicy::ScoreAsOod);
    reclag::MetricsParam ap = p;
    ap.aupr = reclag::AuprEstimator::AveragePrecision;
    const reclag::OodMetrics ma = reclag::evaluate_ood(id, ood, ap);
    CHECK(ma.aupr_in == Approx(13.0 / 15.0).epsilon(1e-14));
    CHECK(ma.aupr_out == Approx(7.0 / 12.0).epsilon(1e-14));

    const reclag::RocCurve roc = reclag::roc_curve(id, ood, p);
    REQUIRE(roc.size() == 5);
    const double fpr[] = {0, 0, 0, 0.5, 1}, tpr[] = {0, 1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0, 1};
    for (Index k = 0; k < 5; ++k) {
        INFO("point " << k);
        CHECK(roc.fpr(k) == fpr[k]);
        CHECK(roc.tpr(k) == Approx(tpr[k]).epsilon(1e-15));
    }
    CHECK(roc.thresholds(1) == 3.0);
    CHECK(roc.thresholds(3) == 1.0);
    CHECK(roc.thresholds(4) == std::numeric_limits<double>::lowest());  // finite: never NaN or -inf

    CHECK(reclag::fpr_at_tpr(id, ood, p) == 1.0);
    reclag::MetricsParam p60 = p, p70 = p;
    p60.tpr = 0.6;
    p70.tpr = 0.7;
    CHECK(reclag::fpr_at_tpr(id, ood, p60) == 0.0);
    CHECK(reclag::fpr_at_tpr(id, ood, p70) == 1.0);
    reclag::MetricsParam po = p;
    po.positive = reclag::PositiveClass::Ood;
    CHECK(reclag::fpr_at_tpr(id, ood, po) == Approx(1.0 / 3.0).epsilon(1e-15));

    // The same data under Reject (default) names the first NaN of each side.
    REQUIRE_THROWS_MATCHES(reclag::evaluate_ood(id, ood), reclag::invalid_argument,
                           reclag_test::what(Contains("evaluate_ood: id_scores has a non-finite value") && Contains("at index 2")));
    reclag::Vector<T> id_ok = id;
    id_ok(2) = T(0);
    REQUIRE_THROWS_MATCHES(reclag::roc_curve(id_ok, ood), reclag::invalid_argument,
                           reclag_test::what(Contains("roc_curve: ood_scores has a non-finite value") && Contains("at index 1")));
    REQUIRE_THROWS_MATCHES(reclag::fpr_at_tpr(id_ok, ood, reclag::MetricsParam{}), reclag::invalid_argument,
                           reclag_test::what(Contains("fpr_at_tpr: ood_scores has a non-finite value") && Contains("at index 1")));
}

TEMPLATE_TEST_CASE("metrics ScoreAsOod: +inf and -inf rank lowest too; the score_finite_rows route gives the same metrics",
                   "[reliability][non_finite][metrics]", float, double) {
    using T = TestType;
    const T inf = std::numeric_limits<T>::infinity();
    // +inf is not "very ID" under ScoreAsOod: a non-finite score is untrustworthy and is ranked
    // lowest like NaN. ID {+inf, 1} vs OOD {0, -inf}: ID {L, 1}, OOD {0, L}.
    // Pairs: 1>0, 1>L win; L<0 loses; L=L ties: 2.5/4 = 0.625. FPR95: t = L accepts both: 1.
    reclag::Vector<T> id(2), ood(2);
    id << inf, T(1);
    ood << T(0), -inf;
    const reclag::OodMetrics m = reclag::evaluate_ood(id, ood, as_ood());
    CHECK(m.auroc == 0.625);
    CHECK(m.fpr95 == 1.0);
    // score_finite_rows writes lowest<T>() (finite), which the default Reject metrics accept; it
    // ranks the same way (below every finite score, ties among themselves), so the metrics of
    // the two routes are identical.
    reclag::Vector<T> id_l = id, ood_l = ood;
    id_l(0) = std::numeric_limits<T>::lowest();
    ood_l(1) = std::numeric_limits<T>::lowest();
    const reclag::OodMetrics ml = reclag::evaluate_ood(id_l, ood_l);
    CHECK(ml.auroc == m.auroc);
    CHECK(ml.fpr95 == m.fpr95);
    CHECK(ml.aupr_in == m.aupr_in);
    CHECK(ml.aupr_out == m.aupr_out);
    // Every score non-finite on both sides is the all-equal case: AUROC exactly 1/2, FPR95 1.
    reclag::Vector<T> all_nan_id = reclag::Vector<T>::Constant(4, std::numeric_limits<T>::quiet_NaN());
    reclag::Vector<T> all_inf_ood = reclag::Vector<T>::Constant(3, inf);
    const reclag::OodMetrics me = reclag::evaluate_ood(all_nan_id, all_inf_ood, as_ood());
    CHECK(me.auroc == 0.5);
    CHECK(me.fpr95 == 1.0);
    // Only the ID side non-finite: every ID sample below every OOD sample: AUROC 0, FPR95 1.
    const reclag::OodMetrics mi = reclag::evaluate_ood(all_nan_id, reclag::Vector<T>::Constant(2, T(-5)), as_ood());
    CHECK(mi.auroc == 0.0);
    CHECK(mi.fpr95 == 1.0);
}

TEMPLATE_TEST_CASE("metrics bad input: an empty side (single class) under either policy, all-equal scores",
                   "[reliability][metrics]", float, double) {
    using T = TestType;
    const reclag::Vector<T> ok = reclag::Vector<T>::LinSpaced(4, T(0), T(1)), empty(0);
    // ood_metrics_test covers an empty ID side for evaluate_ood and auroc; here the OOD side
    // (one class only) for the three entry points, and the policy does not excuse it.
    for (const NonFinitePolicy pol : {NonFinitePolicy::Reject, NonFinitePolicy::ScoreAsOod}) {
        INFO(reclag::to_string(pol));
        reclag::MetricsParam p;
        p.non_finite = pol;
        REQUIRE_THROWS_MATCHES(reclag::evaluate_ood(ok, empty, p), reclag::invalid_argument,
                               reclag_test::what(Contains("evaluate_ood: ood_scores is empty")));
        REQUIRE_THROWS_MATCHES(reclag::roc_curve(ok, empty, p), reclag::invalid_argument,
                               reclag_test::what(Contains("roc_curve: ood_scores is empty")));
        REQUIRE_THROWS_MATCHES(reclag::fpr_at_tpr(empty, ok, p), reclag::invalid_argument,
                               reclag_test::what(Contains("fpr_at_tpr: id_scores is empty")));
        REQUIRE_THROWS_MATCHES(reclag::roc_curve(empty, empty, p), reclag::invalid_argument,
                               reclag_test::what(Contains("roc_curve: id_scores is empty")));
    }
    // All-equal scores with unequal class sizes (3 ID, 7 OOD), in float and double: one tie
    // group, ROC (0,0) -> (1,1), AUROC = 1/2 exactly (every pair a tie), FPR95 = 1 exactly.
    const reclag::Vector<T> id = reclag::Vector<T>::Constant(3, T(0.3)), ood = reclag::Vector<T>::Constant(7, T(0.3));
    const reclag::OodMetrics m = reclag::evaluate_ood(id, ood);
    CHECK(m.auroc == 0.5);
    CHECK(m.fpr95 == 1.0);
    CHECK(m.fpr95_threshold == static_cast<double>(T(0.3)));
    const reclag::RocCurve roc = reclag::roc_curve(id, ood);
    REQUIRE(roc.size() == 2);
    CHECK(roc.fpr(1) == 1.0);
    CHECK(roc.tpr(1) == 1.0);
    CHECK(reclag::fpr_at_tpr(id, ood, 0.01) == 1.0);  // even the laxest target accepts all OOD
}
