// OOD metrics: golden cases (tests/data/golden/metrics.json), scikit-learn's own values on random
// and heavily tied data (tests/data/metrics/sklearn_cases.json, from make_sklearn_cases.py),
// hand-worked tiny cases, brute-force oracles, and bad input.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <reclag/metrics/ood_metrics.hpp>
#include <reclag/metrics/threshold.hpp>

#include "golden.hpp"

using reclag_test::close;

namespace {

const double kTol = 1e-12;

reclag_test::Json load_sklearn_cases() {
    return reclag_test::parse_json_file(reclag_test::test_data_dir() + "/metrics/sklearn_cases.json");
}

bool float_exact(const Eigen::VectorXd& v) { return (v.cast<float>().cast<double>().array() == v.array()).all(); }

void check_vec(const Eigen::VectorXd& got, const Eigen::VectorXd& expected, double tol = kTol) {
    REQUIRE(got.size() == expected.size());
    for (Eigen::Index i = 0; i < got.size(); ++i) {
        INFO("index " << i << ": got " << got(i) << ", expected " << expected(i));
        CHECK(close(got(i), expected(i), tol, tol));
    }
}

reclag::MetricsParam make_param(double tpr, bool drop, reclag::PositiveClass positive = reclag::PositiveClass::Id) {
    reclag::MetricsParam p;
    p.tpr = tpr;
    p.drop_intermediate = drop;
    p.positive = positive;
    return p;
}

// O(n_id * n_ood) Mann-Whitney: P(id > ood) + P(id == ood) / 2.
double brute_auroc(const Eigen::VectorXd& id, const Eigen::VectorXd& ood) {
    double u = 0.0;
    for (Eigen::Index i = 0; i < id.size(); ++i)
        for (Eigen::Index j = 0; j < ood.size(); ++j) u += id(i) > ood(j) ? 1.0 : (id(i) == ood(j) ? 0.5 : 0.0);
    return u / (static_cast<double>(id.size()) * static_cast<double>(ood.size()));
}

}  // namespace

TEST_CASE("metrics match every golden case (metrics.json)", "[metrics][golden]") {
    const auto golden = reclag_test::load_golden("metrics.json");
    REQUIRE(golden["cases"].size() >= 9);
    for (const auto& c : golden["cases"].array) {
        INFO("case " << c["name"].as_string());
        const Eigen::VectorXd id = reclag_test::vec(c["inputs"]["score_id"]);
        const Eigen::VectorXd ood = reclag_test::vec(c["inputs"]["score_ood"]);
        const auto& e = c["expected"];
        reclag::MetricsParam drop = make_param(0.95, true);
        const reclag::OodMetrics m = reclag::evaluate_ood(id, ood, drop);
        CHECK(close(m.fpr95, reclag_test::scalar(e["fpr95"]), kTol, kTol));
        CHECK(close(m.auroc, reclag_test::scalar(e["auroc"]), kTol, kTol));
        CHECK(close(m.aupr_in, reclag_test::scalar(e["aupr_in"]), kTol, kTol));
        CHECK(close(m.aupr_out, reclag_test::scalar(e["aupr_out"]), kTol, kTol));
        const reclag::OodMetrics every = reclag::evaluate_ood(id, ood);  // defaults: every threshold
        CHECK(close(every.fpr95, reclag_test::scalar(e["fpr95_no_drop"]), kTol, kTol));
        CHECK(every.auroc == m.auroc);
        CHECK(close(reclag::fpr_at_tpr(id, ood, 0.95), reclag_test::scalar(e["fpr95_no_drop"]), kTol, kTol));
        const reclag::RocCurve roc = reclag::roc_curve(id, ood, drop);
        check_vec(roc.fpr, reclag_test::vec(e["roc_fpr"]));
        check_vec(roc.tpr, reclag_test::vec(e["roc_tpr"]));
    }
}

TEST_CASE("golden edge cases spelled out: drop_intermediate_edge and all_equal", "[metrics][golden]") {
    const auto golden = reclag_test::load_golden("metrics.json");
    bool seen_edge = false, seen_equal = false;
    for (const auto& c : golden["cases"].array) {
        const Eigen::VectorXd id = reclag_test::vec(c["inputs"]["score_id"]);
        const Eigen::VectorXd ood = reclag_test::vec(c["inputs"]["score_ood"]);
        if (c["name"].as_string() == "drop_intermediate_edge") {
            seen_edge = true;
            CHECK(close(reclag::fpr_at_tpr(id, ood, make_param(0.95, true)), 0.15));
            CHECK(close(reclag::fpr_at_tpr(id, ood, make_param(0.95, false)), 0.10));
        }
        if (c["name"].as_string() == "all_equal") {
            seen_equal = true;
            const reclag::OodMetrics m = reclag::evaluate_ood(id, ood);
            CHECK(m.auroc == 0.5);
            CHECK(m.fpr95 == 1.0);
            const double P = static_cast<double>(id.size()), N = static_cast<double>(ood.size());
            CHECK(close(m.aupr_in, (1.0 + P / (P + N)) / 2.0));
            CHECK(reclag::roc_curve(id, ood).size() == 2);  // (0,0) and (1,1): one tie group
        }
    }
    CHECK(seen_edge);
    CHECK(seen_equal);
}

TEMPLATE_TEST_CASE("metrics equal scikit-learn on random and tied data (sklearn_cases.json)", "[metrics][sklearn]",
                   float, double) {
    const auto cases = load_sklearn_cases();
    REQUIRE(cases["cases"].size() >= 9);
    int compared = 0;
    for (const auto& c : cases["cases"].array) {
        const Eigen::VectorXd id_d = reclag_test::vec(c["inputs"]["score_id"]);
        const Eigen::VectorXd ood_d = reclag_test::vec(c["inputs"]["score_ood"]);
        // The float run uses only the cases whose scores are exactly float (float32-rounded):
        // elsewhere rounding to float would merge or reorder scores and change the answer.
        if (std::is_same_v<TestType, float> && !(float_exact(id_d) && float_exact(ood_d))) continue;
        ++compared;
        const reclag::Vector<TestType> id = id_d.cast<TestType>();
        const reclag::Vector<TestType> ood = ood_d.cast<TestType>();
        const auto& e = c["expected"];
        const Eigen::VectorXd tprs = reclag_test::vec(c["inputs"]["tprs"]);
        INFO("case " << c["name"].as_string());
        const reclag::RankedScores ranked(id, ood);

        CHECK(close(reclag::auroc(id, ood), reclag_test::scalar(e["auroc"]), kTol, kTol));
        CHECK(close(reclag::aupr_in(id, ood, reclag::AuprEstimator::AveragePrecision), reclag_test::scalar(e["ap_in"]), kTol, kTol));
        CHECK(close(reclag::aupr_out(id, ood, reclag::AuprEstimator::AveragePrecision), reclag_test::scalar(e["ap_out"]), kTol, kTol));
        CHECK(close(reclag::aupr_in(id, ood), reclag_test::scalar(e["trapz_in"]), kTol, kTol));
        CHECK(close(reclag::aupr_out(id, ood), reclag_test::scalar(e["trapz_out"]), kTol, kTol));

        reclag::MetricsParam ap;
        ap.aupr = reclag::AuprEstimator::AveragePrecision;
        const reclag::OodMetrics m_ap = reclag::evaluate_ood(ranked, ap);
        CHECK(close(m_ap.aupr_in, reclag_test::scalar(e["ap_in"]), kTol, kTol));
        CHECK(close(m_ap.aupr_out, reclag_test::scalar(e["ap_out"]), kTol, kTol));

        for (const bool drop : {true, false}) {
            const std::string tag = drop ? "drop" : "nodrop";
            INFO("drop_intermediate " << drop);
            const Eigen::VectorXd fpr = reclag_test::vec(e["fpr_" + tag]), thr = reclag_test::vec(e["thr_" + tag]);
            const Eigen::VectorXd ofpr = reclag_test::vec(e["ood_fpr_" + tag]), othr = reclag_test::vec(e["ood_thr_" + tag]);
            for (Eigen::Index k = 0; k < tprs.size(); ++k) {
                INFO("tpr " << tprs(k));
                const reclag::RocPoint pt = reclag::roc_point_at_tpr(ranked, make_param(tprs(k), drop));
                CHECK(close(pt.fpr, fpr(k), kTol, kTol));
                CHECK(pt.threshold == thr(k));
                CHECK(pt.tpr >= tprs(k));
                const reclag::RocPoint opt =
                    reclag::roc_point_at_tpr(ranked, make_param(tprs(k), drop, reclag::PositiveClass::Ood));
                CHECK(close(opt.fpr, ofpr(k), kTol, kTol));
                CHECK(opt.threshold == othr(k));
                const reclag::OodMetrics m = reclag::evaluate_ood(id, ood, make_param(tprs(k), drop));
                CHECK(m.fpr95 == pt.fpr);
                CHECK(close(m.auroc, reclag_test::scalar(e["auroc"]), kTol, kTol));
                CHECK(close(m.aupr_in, reclag_test::scalar(e["trapz_in"]), kTol, kTol));
                if (!drop) {
                    // Every-threshold, ID positive: the ROC point's threshold is the calibrated one.
                    CHECK(reclag::threshold_at_tpr(id, tprs(k)) == thr(k));
                }
            }
            if (e.contains("roc_fpr_" + tag)) {
                const reclag::RocCurve roc = reclag::roc_curve(ranked, make_param(0.95, drop));
                check_vec(roc.fpr, reclag_test::vec(e["roc_fpr_" + tag]));
                check_vec(roc.tpr, reclag_test::vec(e["roc_tpr_" + tag]));
                const Eigen::VectorXd tail = reclag_test::vec(e["roc_thr_tail_" + tag]);
                REQUIRE(roc.thresholds.size() == tail.size() + 1);
                CHECK(roc.thresholds(0) == std::numeric_limits<double>::infinity());
                CHECK((roc.thresholds.tail(tail.size()).array() == tail.array()).all());
            }
        }
    }
    CHECK(compared >= (std::is_same_v<TestType, float> ? 3 : 10));
}

TEST_CASE("hand-worked: ID {3, 1} vs OOD {2, 0}", "[metrics][hand]") {
    // Descending: 3 (ID), 2 (OOD), 1 (ID), 0 (OOD). ROC, ID positive:
    //   (0,0) -> t=3 (0, .5) -> t=2 (.5, .5) -> t=1 (.5, 1) -> t=0 (1, 1).
    // AUROC: ID-OOD pairs 3>2, 3>0, 1>0, 1<2 -> 3/4.
    // FPR95: first TPR >= .95 is t=1, where 1 of 2 OOD (score 2) is accepted -> 0.5.
    // PR, ID positive: (R, P) = (.5, 1), (.5, .5), (1, 2/3), (1, .5) after (0, 1).
    //   AP = .5 * 1 + .5 * 2/3 = 5/6. Trapezoid = .5 * (1 + 1)/2 + .5 * (.5 + 2/3)/2 = 19/24.
    // OOD positive (scan up: 0 OOD, 1 ID, 2 OOD, 3 ID) is the mirror image: the same 5/6, 19/24;
    //   OpenOOD FPR: all OOD caught at "score <= 2", which rejects ID score 1 -> 0.5, threshold 2.
    // threshold_at_tpr: .95 -> k = 2 -> 2nd largest ID = 1; .5 -> k = 1 -> 3.
    const Eigen::Vector2d id(3.0, 1.0), ood(2.0, 0.0);
    const reclag::RocCurve roc = reclag::roc_curve(id, ood);
    check_vec(roc.fpr, (Eigen::VectorXd(5) << 0, 0, .5, .5, 1).finished());
    check_vec(roc.tpr, (Eigen::VectorXd(5) << 0, .5, .5, 1, 1).finished());
    check_vec(roc.thresholds.tail(4), (Eigen::VectorXd(4) << 3, 2, 1, 0).finished());
    CHECK(reclag::auroc(id, ood) == 0.75);
    CHECK(reclag::fpr_at_tpr(id, ood) == 0.5);
    CHECK(close(reclag::aupr_in(id, ood, reclag::AuprEstimator::AveragePrecision), 5.0 / 6.0));
    CHECK(close(reclag::aupr_in(id, ood), 19.0 / 24.0));
    CHECK(close(reclag::aupr_out(id, ood, reclag::AuprEstimator::AveragePrecision), 5.0 / 6.0));
    CHECK(close(reclag::aupr_out(id, ood), 19.0 / 24.0));
    const reclag::RocPoint o = reclag::roc_point_at_tpr(reclag::RankedScores(id, ood), make_param(0.95, false, reclag::PositiveClass::Ood));
    CHECK(o.fpr == 0.5);
    CHECK(o.threshold == 2.0);
    CHECK(reclag::threshold_at_tpr(id) == 1.0);
    CHECK(reclag::threshold_at_tpr(id, 0.5) == 3.0);
    // The OOD-positive curve runs from -inf upwards.
    const reclag::RocCurve oroc = reclag::roc_curve(id, ood, make_param(0.95, false, reclag::PositiveClass::Ood));
    CHECK(oroc.thresholds(0) == -std::numeric_limits<double>::infinity());
    check_vec(oroc.thresholds.tail(4), (Eigen::VectorXd(4) << 0, 1, 2, 3).finished());
    check_vec(oroc.tpr, (Eigen::VectorXd(5) << 0, .5, .5, 1, 1).finished());
}

TEST_CASE("hand-worked: ties, ID {1, 1} vs OOD {1, 0}", "[metrics][hand]") {
    // One tie group at 1 (2 ID + 1 OOD), then OOD 0. ROC: (0,0) -> (.5, 1) -> (1, 1).
    // AUROC: trapezoid .5 * (0 + 1)/2 + .5 * (1 + 1)/2 = .75 = pairs (.5 + .5 + 1 + 1) / 4.
    // FPR95 = .5. PR in: one point (R, P) = (1, 2/3): AP = 2/3, trapezoid (1 + 2/3)/2 = 5/6.
    // PR out (scan up): score 0 -> (.5, 1); score 1 -> (1, 2/4): AP = .5 + .5 * .5 = .75,
    //   trapezoid .5 * 1 + .5 * (1 + .5)/2 = .875.
    const Eigen::Vector2d id(1.0, 1.0), ood(1.0, 0.0);
    const reclag::OodMetrics m = reclag::evaluate_ood(id, ood);
    CHECK(m.auroc == 0.75);
    CHECK(m.fpr95 == 0.5);
    CHECK(m.fpr95_tpr == 1.0);
    CHECK(m.fpr95_threshold == 1.0);
    CHECK(close(m.aupr_in, 5.0 / 6.0));
    CHECK(close(m.aupr_out, 0.875));
    CHECK(m.num_id == 2);
    CHECK(m.num_ood == 2);
    CHECK(close(reclag::aupr_in(id, ood, reclag::AuprEstimator::AveragePrecision), 2.0 / 3.0));
    CHECK(close(reclag::aupr_out(id, ood, reclag::AuprEstimator::AveragePrecision), 0.75));
    CHECK(reclag::roc_curve(id, ood).size() == 3);
}

TEMPLATE_TEST_CASE("AUROC and FPR@TPR equal brute-force oracles on tied random data", "[metrics][oracle]", float, double) {
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> level(0, 40);
    std::uniform_int_distribution<int> size(1, 300);
    for (int trial = 0; trial < 20; ++trial) {
        const int n_id = size(rng), n_ood = size(rng);
        reclag::Vector<TestType> id(n_id), ood(n_ood);
        for (int i = 0; i < n_id; ++i) id(i) = static_cast<TestType>(level(rng) + 8) / TestType(8);
        for (int i = 0; i < n_ood; ++i) ood(i) = static_cast<TestType>(level(rng)) / TestType(8);
        const Eigen::VectorXd idd = id.template cast<double>(), oodd = ood.template cast<double>();
        INFO("trial " << trial << " n_id " << n_id << " n_ood " << n_ood);
        CHECK(close(reclag::auroc(id, ood), brute_auroc(idd, oodd), kTol, kTol));
        for (const double tpr : {0.01, 0.3, 0.9, 0.95, 1.0}) {
            // ID positive: threshold = calibrated ID threshold, FPR = OOD share at or above it.
            const double t = reclag::threshold_at_tpr(id, tpr);
            CHECK((idd.array() >= t).count() >= std::ceil(tpr * n_id - 1e-9));
            CHECK((idd.array() > t).count() < std::ceil(tpr * n_id - 1e-9));
            const double fpr = static_cast<double>((oodd.array() >= t).count()) / n_ood;
            CHECK(reclag::fpr_at_tpr(id, ood, tpr) == fpr);
            // OOD positive: the mirror (negated scores) of the same construction.
            const double to = -reclag::threshold_at_tpr((-oodd).eval(), tpr);
            const double ofpr = static_cast<double>((idd.array() <= to).count()) / n_id;
            CHECK(reclag::fpr_at_tpr(id, ood, make_param(tpr, false, reclag::PositiveClass::Ood)) == ofpr);
            // Dropping collinear points can only move the reading later on the curve.
            CHECK(reclag::fpr_at_tpr(id, ood, make_param(tpr, true)) >= fpr);
        }
    }
}

TEST_CASE("float and double scores give the same metrics; any vector expression is accepted", "[metrics]") {
    std::mt19937 rng(3);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    Eigen::VectorXf id(500), ood(400);
    for (Eigen::Index i = 0; i < id.size(); ++i) id(i) = nd(rng) + 1.0f;
    for (Eigen::Index i = 0; i < ood.size(); ++i) ood(i) = nd(rng);
    const Eigen::VectorXd idd = id.cast<double>(), oodd = ood.cast<double>();
    const reclag::OodMetrics mf = reclag::evaluate_ood(id, ood), md = reclag::evaluate_ood(idd, oodd);
    CHECK(mf.fpr95 == md.fpr95);
    CHECK(mf.auroc == md.auroc);
    CHECK(mf.aupr_in == md.aupr_in);
    CHECK(mf.aupr_out == md.aupr_out);
    // Mixed precision, a row vector, a strided map and an expression (scaling keeps the ranking).
    const Eigen::RowVectorXd row = oodd.transpose();
    CHECK(reclag::auroc(id, row) == md.auroc);
    Eigen::Map<const Eigen::VectorXd, 0, Eigen::InnerStride<2>> every_other(idd.data(), idd.size() / 2);
    CHECK(reclag::auroc(every_other, oodd) == reclag::auroc(Eigen::VectorXd(every_other), oodd));
    CHECK(reclag::auroc(2.0 * idd, 2.0 * oodd) == md.auroc);
    // The OOD-positive FPR is a different number and is never returned by default.
    const reclag::OodMetrics mo = reclag::evaluate_ood(idd, oodd, make_param(0.95, false, reclag::PositiveClass::Ood));
    CHECK(mo.param.positive == reclag::PositiveClass::Ood);
    CHECK(md.param.positive == reclag::PositiveClass::Id);
    CHECK(mo.auroc == md.auroc);
}

TEST_CASE("perfect and reversed separation", "[metrics]") {
    const Eigen::Vector3d hi(5, 6, 7), lo(1, 2, 3);
    const reclag::OodMetrics good = reclag::evaluate_ood(hi, lo);
    CHECK(good.auroc == 1.0);
    CHECK(good.fpr95 == 0.0);
    CHECK(good.aupr_in == 1.0);
    CHECK(good.aupr_out == 1.0);
    const reclag::OodMetrics bad = reclag::evaluate_ood(lo, hi);
    CHECK(bad.auroc == 0.0);
    CHECK(bad.fpr95 == 1.0);
}

TEST_CASE("bad input throws reclag::invalid_argument naming the problem", "[metrics][errors]") {
    const Eigen::VectorXd ok = Eigen::VectorXd::LinSpaced(5, 0.0, 1.0), empty(0);
    CHECK_THROWS_AS(reclag::evaluate_ood(empty, ok), reclag::invalid_argument);
    CHECK_THROWS_WITH(reclag::evaluate_ood(empty, ok), Catch::Contains("evaluate_ood") && Catch::Contains("id_scores is empty"));
    CHECK_THROWS_WITH(reclag::auroc(ok, empty), Catch::Contains("auroc") && Catch::Contains("ood_scores is empty"));
    CHECK_THROWS_WITH(reclag::threshold_at_tpr(empty), Catch::Contains("id_scores is empty"));

    Eigen::VectorXd bad = ok;
    bad(3) = std::numeric_limits<double>::quiet_NaN();
    bad(4) = std::numeric_limits<double>::infinity();
    CHECK_THROWS_WITH(reclag::evaluate_ood(ok, bad), Catch::Contains("ood_scores") && Catch::Contains("index 3"));
    CHECK_THROWS_WITH(reclag::fpr_at_tpr(bad, ok), Catch::Contains("id_scores") && Catch::Contains("index 3"));
    Eigen::VectorXf badf = ok.cast<float>();
    badf(1) = -std::numeric_limits<float>::infinity();
    CHECK_THROWS_WITH(reclag::roc_curve(badf, ok), Catch::Contains("roc_curve") && Catch::Contains("index 1"));
    CHECK_THROWS_WITH(reclag::threshold_at_tpr(bad), Catch::Contains("threshold_at_tpr") && Catch::Contains("index 3"));

    for (const double tpr : {0.0, -0.5, 1.0000001, std::numeric_limits<double>::quiet_NaN()}) {
        INFO("tpr " << tpr);
        CHECK_THROWS_WITH(reclag::fpr_at_tpr(ok, ok, tpr), Catch::Contains("tpr"));
        CHECK_THROWS_AS(reclag::evaluate_ood(ok, ok, make_param(tpr, false)), reclag::invalid_argument);
        CHECK_THROWS_AS(reclag::threshold_at_tpr(ok, tpr), reclag::invalid_argument);
    }
    CHECK_NOTHROW(reclag::fpr_at_tpr(ok, ok, 1.0));
    CHECK(reclag::fpr_at_tpr(ok, ok, 1.0) == 1.0);  // keeping all ID accepts everything >= min

    const Eigen::MatrixXd matrix = Eigen::MatrixXd::Ones(2, 3);
    CHECK_THROWS_WITH(reclag::auroc(matrix, ok), Catch::Contains("id_scores has shape 2x3"));
}

TEST_CASE("MetricsParam defaults and check_param", "[metrics][param]") {
    const reclag::MetricsParam p;
    CHECK(p.tpr == 0.95);
    CHECK(p.positive == reclag::PositiveClass::Id);
    CHECK_FALSE(p.drop_intermediate);
    CHECK(p.aupr == reclag::AuprEstimator::Trapezoid);
    CHECK(p.non_finite == reclag::NonFinitePolicy::Reject);
    CHECK_NOTHROW(p.check_param());
    reclag::MetricsParam q;
    q.tpr = 2.0;
    CHECK_THROWS_WITH(q.check_param(), Catch::Contains("MetricsParam") && Catch::Contains("tpr"));
    q = {};
    q.positive = static_cast<reclag::PositiveClass>(7);
    CHECK_THROWS_WITH(q.check_param(), Catch::Contains("positive"));
    CHECK(std::string(reclag::to_string(reclag::PositiveClass::Ood)) == "OOD positive");
}

TEST_CASE("threshold_at_tpr keeps the requested fraction with ties", "[metrics][threshold]") {
    // 20 ID scores 1..20: tpr .95 -> k = 19 -> threshold 2 (keeps 2..20 = 19 = 95%).
    const Eigen::VectorXd id = Eigen::VectorXd::LinSpaced(20, 1.0, 20.0);
    CHECK(reclag::threshold_at_tpr(id) == 2.0);
    CHECK(reclag::threshold_at_tpr(id, 1.0) == 1.0);
    CHECK(reclag::threshold_at_tpr(id, 0.05) == 20.0);
    CHECK(reclag::threshold_at_tpr(id, 0.051) == 19.0);
    // Ties at the threshold are all kept: {5, 5, 5, 1}, tpr .5 -> k = 2 -> 5, keeps 75%.
    const Eigen::Vector4f tied(5.f, 1.f, 5.f, 5.f);
    CHECK(reclag::threshold_at_tpr(tied, 0.5) == 5.0);
    CHECK(reclag::threshold_at_tpr(tied, 0.76) == 1.0);
}

TEST_CASE("RankedScores groups ties across ID and OOD, -0.0 equal to 0.0", "[metrics][ranked]") {
    // Distinct values descending: 2 (ID, OOD, OOD), 0 (ID -0.0, OOD 0.0), -1 (ID).
    const Eigen::Vector4d id(2.0, -0.0, -1.0, 2.0);
    const Eigen::Vector3d ood(0.0, 2.0, 2.0);
    const reclag::RankedScores r(id, ood);
    CHECK(r.num_id() == 4);
    CHECK(r.num_ood() == 3);
    REQUIRE(r.num_thresholds() == 3);
    CHECK(r.thresholds()[0] == 2.0);
    CHECK(r.thresholds()[1] == 0.0);
    CHECK(r.thresholds()[2] == -1.0);
    CHECK(r.cum_id() == std::vector<std::int64_t>{0, 2, 3, 4});
    CHECK(r.cum_ood() == std::vector<std::int64_t>{0, 2, 3, 3});
    // AUROC by pairs: ID 2 vs {0: win, 2, 2: ties} x 2 IDs = 2 * (1 + 1) = 4;
    // ID -0.0 vs {0.0: tie, 2, 2: losses} = .5; ID -1 vs all: 0. Total 4.5 / 12.
    CHECK(close(reclag::auroc(r), 4.5 / 12.0));
    CHECK(close(reclag::auroc(Eigen::Matrix<double, 1, 1>(0.0), Eigen::Matrix<double, 1, 1>(-0.0)), 0.5));
}
