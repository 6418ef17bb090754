// The bad-input table (NOTES-badinput.md / README "Bad input"), scorer rows: one TEST_CASE per
// row, every registered scorer, float and double. Each asserts the exception type AND the key
// part of the message (function, argument, shape or value), or, where the input is valid but
// extreme, the value worked by hand; no score is ever NaN.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <reclag/core/percentile.hpp>
#include <reclag/dynamics/scores_over_time.hpp>
#include <reclag/score/registry.hpp>

#include "bad_input_fixture.hpp"

using Catch::Matchers::Contains;
using reclag::Index;
using reclag_test::scorer_facts;
using reclag_test::non_finite_values;
using reclag_test::TinyData;

TEMPLATE_TEST_CASE("bad input: every scorer fits and scores the tiny valid data with finite scores", "[reliability][bad_input]",
                   float, double) {
    const TinyData<TestType> t;
    for (const auto& f : scorer_facts()) {
        INFO(f.name);
        const auto s = t.fitted(f.name);
        const reclag::Vector<TestType> r = s.score(t.fit_view());
        CHECK(r.size() == t.n);
        CHECK(reclag_test::all_finite(r));
    }
}

TEMPLATE_TEST_CASE("bad input: a NaN or infinite feature or logit at score time names the scorer, row and column",
                   "[reliability][bad_input]", float, double) {
    using T = TestType;
    const TinyData<T> t;
    for (const auto& f : scorer_facts()) {
        const auto s = t.fitted(f.name);
        const reclag::Vector<T> clean = s.score(t.fit_view());
        for (const T bad : non_finite_values<T>()) {
            INFO(f.name << " with " << bad);
            reclag::RowMatrix<T> x = t.x, z = t.z;
            x(2, 1) = bad;
            z(4, 2) = bad;
            const std::string where = std::string(f.cls) + "::score";
            if (f.reads_features) {
                REQUIRE_THROWS_MATCHES(s.score(reclag::FeatureView<T>(x, t.z)), reclag::invalid_argument,
                                       reclag_test::what(Contains(where) && Contains("features has a non-finite value") &&
                                           Contains("at row 2, column 1")));
            } else {
                // The features are not read: a NaN there cannot reach the score.
                const reclag::Vector<T> r = s.score(reclag::FeatureView<T>(x, t.z));
                CHECK(r == clean);
            }
            if (f.reads_logits) {
                REQUIRE_THROWS_MATCHES(s.score(reclag::FeatureView<T>(t.x, z)), reclag::invalid_argument,
                                       reclag_test::what(Contains(where) && Contains("logits has a non-finite value") &&
                                           Contains("at row 4, column 2")));
            } else {
                const reclag::Vector<T> r = s.score(reclag::FeatureView<T>(t.x, z));
                CHECK(r == clean);
            }
        }
    }
}

TEMPLATE_TEST_CASE("bad input: a NaN or infinite value in the fit split is rejected by every scorer that reads it",
                   "[reliability][bad_input]", float, double) {
    using T = TestType;
    const TinyData<T> t;
    // msp, maxlogit, energy, gen and ash learn only shapes at fit time (C, or D from the head):
    // they never read a fit value, so a NaN there cannot reach a score; every other scorer
    // reads the fit features (and ViM, MHE, SHE, reclag_code the logits) and rejects it.
    const std::vector<std::string> shape_only = {"msp", "maxlogit", "energy", "gen", "ash"};
    for (const auto& f : scorer_facts()) {
        INFO(f.name);
        const bool reads_fit = std::find(shape_only.begin(), shape_only.end(), f.name) == shape_only.end();
        reclag::RowMatrix<T> x = t.x;
        x(3, 2) = std::numeric_limits<T>::quiet_NaN();
        auto s = t.make(f.name);
        if (reads_fit) {
            REQUIRE_THROWS_MATCHES(s.fit(reclag::FeatureView<T>(x, t.z, t.y), t.head()), reclag::invalid_argument,
                                   reclag_test::what(Contains("::fit") && Contains("non-finite value") && Contains("at row 3, column 2")));
            CHECK_FALSE(s.is_fitted());
        } else {
            s.fit(reclag::FeatureView<T>(x, t.z, t.y), t.head());
            CHECK(reclag_test::all_finite(s.score(t.fit_view())));
        }
    }
    // Logits read at fit time (stored-pattern selection, ViM's alpha, per-class training).
    for (const std::string name : {"mhe", "she", "vim", "reclag_code"}) {
        INFO(name);
        reclag::RowMatrix<T> z = t.z;
        z(5, 0) = std::numeric_limits<T>::infinity();
        auto s = t.make(name);
        REQUIRE_THROWS_MATCHES(s.fit(reclag::FeatureView<T>(t.x, z, t.y), t.head()), reclag::invalid_argument,
                               reclag_test::what(Contains("logits has a non-finite value") && Contains("at row 5, column 0")));
    }
    // The head itself.
    reclag::RowMatrix<T> w = t.w;
    w(1, 3) = std::numeric_limits<T>::quiet_NaN();
    REQUIRE_THROWS_MATCHES(reclag::ClassifierHead<T>(w, t.b), reclag::invalid_argument,
                           reclag_test::what(Contains("ClassifierHead: weight has a non-finite value") && Contains("at row 1, column 3")));
    reclag::Vector<T> b = t.b;
    b(2) = -std::numeric_limits<T>::infinity();
    REQUIRE_THROWS_MATCHES(reclag::ClassifierHead<T>(t.w, b), reclag::invalid_argument,
                           reclag_test::what(Contains("ClassifierHead: bias has a non-finite value") && Contains("at row 2")));
    // A given xi.
    reclag::RowMatrix<T> xi = t.xi;
    xi(0, 0) = std::numeric_limits<T>::quiet_NaN();
    REQUIRE_THROWS_MATCHES(reclag::ReclagScorer<T>(xi), reclag::invalid_argument,
                           reclag_test::what(Contains("ReclagScore: xi has a non-finite value") && Contains("at row 0, column 0")));
}

TEMPLATE_TEST_CASE("bad input: an empty fit split is rejected, an empty score split gives an empty result",
                   "[reliability][bad_input]", float, double) {
    using T = TestType;
    const TinyData<T> t;
    const reclag::RowMatrix<T> x0 = t.x.topRows(0), z0 = t.z.topRows(0);
    const reclag::LabelVector y0(0);
    for (const auto& f : scorer_facts()) {
        INFO(f.name);
        auto s = t.make(f.name);
        REQUIRE_THROWS_MATCHES(s.fit(reclag::FeatureView<T>(x0, z0, y0), t.head()), reclag::invalid_argument,
                               reclag_test::what(Contains(std::string(f.cls) + "::fit") && Contains("is empty")));
        CHECK_FALSE(s.is_fitted());
        const auto fitted = t.fitted(f.name);
        const reclag::Vector<T> r = fitted.score(reclag::FeatureView<T>(x0, z0));
        CHECK(r.size() == 0);
    }
}

TEMPLATE_TEST_CASE("bad input: zero-norm features where scaling is on have a defined, finite score",
                   "[reliability][bad_input]", float, double) {
    using T = TestType;
    const TinyData<T> t;
    reclag::RowMatrix<T> x = t.x;
    x.row(1).setZero();
    const reclag::FeatureView<T> split(x, t.z);
    // RecLag (norm 10): a zero row has no direction, x~ = 0, so r = LSE(0, ..., 0) = log N_H:
    // the origin's score (Theorem 1's fixed point), finite.
    const auto rec = t.fitted("reclag");
    const reclag::Vector<T> r = rec.score(split);
    CHECK(r(1) == Approx(std::log(static_cast<double>(t.xi.rows()))).epsilon(4 * std::numeric_limits<T>::epsilon()));
    CHECK(reclag_test::all_finite(r));
    // KNN: the zero row stays zero (no epsilon), so its distance to every unit ID feature is
    // exactly 1: score -1.
    const auto knn = t.fitted("knn");
    const reclag::Vector<T> k = knn.score(split);
    CHECK(static_cast<double>(k(1)) == Approx(-1.0).epsilon(8 * std::numeric_limits<T>::epsilon()));
    CHECK(reclag_test::all_finite(k));
    // Every other scorer scores the zero row finitely too.
    for (const auto& f : scorer_facts()) {
        INFO(f.name);
        CHECK(reclag_test::all_finite(t.fitted(f.name).score(split)));
    }
    // Fitting on a zero row: scaling leaves it zero; every scorer still fits and scores finitely.
    reclag::RowMatrix<T> xf = t.x;
    xf.row(6).setZero();
    reclag::RowMatrix<T> zf = xf * t.w.transpose();  // row 6 predicted class 0, label 0: still consistent
    for (const auto& f : scorer_facts()) {
        INFO(f.name << " fitted with a zero row");
        auto s = t.make(f.name);
        s.fit(reclag::FeatureView<T>(xf, zf, t.y), t.head());
        CHECK(reclag_test::all_finite(s.score(t.fit_view())));
    }
}

TEMPLATE_TEST_CASE("bad input: feature width or class count different from fit time or from the head",
                   "[reliability][bad_input]", float, double) {
    using T = TestType;
    const TinyData<T> t;
    const reclag::RowMatrix<T> x5 = reclag::RowMatrix<T>::Ones(2, 5), x4 = t.x.topRows(2);
    const reclag::RowMatrix<T> z4 = reclag::RowMatrix<T>::Ones(2, 4), z3 = t.z.topRows(2);
    for (const auto& f : scorer_facts()) {
        INFO(f.name);
        const auto s = t.fitted(f.name);
        const std::string where = std::string(f.cls) + "::score";
        if (f.reads_features)
            REQUIRE_THROWS_MATCHES(s.score(reclag::FeatureView<T>(x5, z3)), reclag::invalid_argument,
                                   reclag_test::what(Contains(where + ": features has 5 columns, expected 4")));
        if (f.reads_logits)
            REQUIRE_THROWS_MATCHES(s.score(reclag::FeatureView<T>(x4, z4)), reclag::invalid_argument,
                                   reclag_test::what(Contains(where + ": logits has 4 columns, expected 3")));
        if (f.reads_logits)
            REQUIRE_THROWS_MATCHES(s.score(reclag::FeatureView<T>(x4)), reclag::invalid_argument,
                                   reclag_test::what(Contains(where) && Contains("no logits")));
    }
    // Fit split vs head: the scorers that use the head.
    const reclag::RowMatrix<T> w5 = reclag::RowMatrix<T>::Ones(3, 5);
    const reclag::Vector<T> b3 = reclag::Vector<T>::Zero(3);
    const reclag::ClassifierHead<T> head5(w5, b3);
    for (const auto& f : scorer_facts()) {
        if (!t.make(f.name).needs_head()) continue;
        INFO(f.name);
        auto s = t.make(f.name);
        REQUIRE_THROWS_MATCHES(s.fit(t.fit_view(), head5), reclag::invalid_argument,
                               reclag_test::what(Contains(std::string(f.cls) + "::fit: features has 4 columns, expected 5")));
        REQUIRE_THROWS_MATCHES(s.fit(t.fit_view()), reclag::invalid_argument, reclag_test::what(Contains(std::string(f.cls) + "::fit") &&
                                                                                   Contains("head")));
    }
    // ViM also checks the fit logits against the head's classes.
    const reclag::RowMatrix<T> w4c = reclag::RowMatrix<T>::Identity(4, 4);
    const reclag::ClassifierHead<T> head4c(w4c, reclag::Vector<T>::Zero(4));
    auto vim = t.make("vim");
    REQUIRE_THROWS_MATCHES(vim.fit(t.fit_view(), head4c), reclag::invalid_argument,
                           reclag_test::what(Contains("VimScorer::fit: logits has 3 columns, expected 4")));
    // The views and the head themselves.
    REQUIRE_THROWS_MATCHES(reclag::FeatureView<T>(t.x, t.z.topRows(14)), reclag::invalid_argument,
                           reclag_test::what(Contains("FeatureView: logits has 14 rows, expected 15")));
    const reclag::LabelVector y14 = t.y.head(14);
    REQUIRE_THROWS_MATCHES(reclag::FeatureView<T>(t.x, t.z, y14), reclag::invalid_argument,
                           reclag_test::what(Contains("FeatureView: labels has 14 rows, expected 15")));
    REQUIRE_THROWS_MATCHES(reclag::ClassifierHead<T>(t.w, reclag::Vector<T>::Zero(4)), reclag::invalid_argument,
                           reclag_test::what(Contains("ClassifierHead: bias has 4 elements, expected 3")));
    // A per-class RecLag needs one xi per logit column.
    std::vector<reclag::RowMatrix<T>> per_class(2, t.xi);
    reclag::ReclagScorer<T> rc(per_class, {T(5), T(0)});
    rc.set_log_gamma(T(0));
    REQUIRE_THROWS_MATCHES(rc.score(t.fit_view()), reclag::invalid_argument,
                           reclag_test::what(Contains("ReclagScorer::score: logits has 3 columns, expected 2")));
}

TEMPLATE_TEST_CASE("bad input: labels out of range or negative", "[reliability][bad_input]", float, double) {
    using T = TestType;
    const TinyData<T> t;
    for (const std::int64_t bad : {std::int64_t(3), std::int64_t(-1), std::int64_t(1) << 40}) {
        INFO("label " << bad);
        reclag::LabelVector y = t.y;
        y(7) = bad;
        const reclag::FeatureView<T> v(t.x, t.z, y);
        const std::string msg = "label " + std::to_string(bad) + " at row 7 is outside [0, 3)";
        for (const std::string name : {"mhe", "she"}) {
            auto s = t.make(name);
            REQUIRE_THROWS_MATCHES(s.fit(v), reclag::invalid_argument, reclag_test::what(Contains("Scorer::fit") && Contains(msg)));
        }
        // reclag_code trains one xi per class: SfnnTrainer::fit_per_class checks the labels.
        auto code = t.make("reclag_code");
        REQUIRE_THROWS_MATCHES(code.fit(v), reclag::invalid_argument, reclag_test::what(Contains("SfnnTrainer::fit_per_class: " + msg)));
        reclag::SfnnTrainer<T> trainer(reclag::SfnnTrainer<T>::Param::public_code());
        REQUIRE_THROWS_MATCHES(trainer.fit_per_class(v), reclag::invalid_argument, reclag_test::what(Contains("SfnnTrainer::fit_per_class: " + msg)));
    }
    // Mahalanobis takes C = max label + 1 (it needs no logits): a negative label, a label with
    // no rows, and a label so large that its classes could not all be present (checked before
    // the C x D means are allocated: 2^40 classes would be 32 TB).
    auto maha = t.make("mahalanobis");
    reclag::LabelVector y = t.y;
    y(7) = -1;
    REQUIRE_THROWS_MATCHES(maha.fit(reclag::FeatureView<T>(t.x, t.z, y)), reclag::invalid_argument,
                           reclag_test::what(Contains("MahalanobisScorer::fit: labels has a negative value (-1)")));
    y(7) = std::int64_t(1) << 40;
    REQUIRE_THROWS_MATCHES(maha.fit(reclag::FeatureView<T>(t.x, t.z, y)), reclag::invalid_argument,
                           reclag_test::what(Contains("MahalanobisScorer::fit: labels has the value 1099511627776 but there are only 15") &&
                               Contains("cannot all be present")));
    y = t.y;
    y(14) = 4;  // classes 0..4, class 3 empty
    REQUIRE_THROWS_MATCHES(maha.fit(reclag::FeatureView<T>(t.x, t.z, y)), reclag::invalid_argument,
                           reclag_test::what(Contains("MahalanobisScorer::fit: class 3 has no ID-fit rows")));
    // Labels are required where they are used.
    for (const std::string name : {"mhe", "she", "mahalanobis", "reclag_code"}) {
        INFO(name);
        auto s = t.make(name);
        REQUIRE_THROWS_MATCHES(s.fit(reclag::FeatureView<T>(t.x, t.z)), reclag::invalid_argument, reclag_test::what(Contains("no labels")));
    }
}

TEMPLATE_TEST_CASE("bad input: a class with no correctly classified sample (MHE, SHE, per-class RecLag)",
                   "[reliability][bad_input]", float, double) {
    using T = TestType;
    const TinyData<T> t;
    // Every row of class 1 (predicted 1) relabelled 2: class 1 is never label == prediction.
    reclag::LabelVector y = t.y;
    for (Index i = 0; i < t.n; ++i)
        if (y(i) == 1) y(i) = 2;
    const reclag::FeatureView<T> v(t.x, t.z, y);
    for (const std::string name : {"mhe", "she"}) {
        INFO(name);
        auto s = t.make(name);
        REQUIRE_THROWS_MATCHES(s.fit(v), reclag::invalid_argument,
                               reclag_test::what(Contains("Scorer::fit: class 1 has no correctly classified fit sample")));
    }
    auto code = t.make("reclag_code");
    REQUIRE_THROWS_MATCHES(code.fit(v), reclag::invalid_argument,
                           reclag_test::what(Contains("SfnnTrainer::fit_per_class: class 1 has no training row with label == argmax(logits) == 1")));
    // Mahalanobis uses all rows of a label (not only the correct ones): label 1 absent.
    auto maha = t.make("mahalanobis");
    REQUIRE_THROWS_MATCHES(maha.fit(v), reclag::invalid_argument, reclag_test::what(Contains("MahalanobisScorer::fit: class 1 has no ID-fit rows")));
}

TEMPLATE_TEST_CASE("bad input: beta, gamma, temperature or norm not positive", "[reliability][bad_input]", float, double) {
    using T = TestType;
    const TinyData<T> t;
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    for (const double bad : {0.0, -1.0, nan, inf}) {
        INFO("value " << bad);
        REQUIRE_THROWS_MATCHES(reclag::EnergyScorer<T>({bad}), reclag::invalid_argument,
                               reclag_test::what(Contains("EnergyScorer::Param: temperature must be positive and finite")));
        REQUIRE_THROWS_MATCHES(reclag::MheScorer<T>({bad}), reclag::invalid_argument,
                               reclag_test::what(Contains("MheScorer::Param: beta must be positive and finite")));
        typename reclag::GenScorer<T>::Param gp;
        gp.gamma = bad;
        REQUIRE_THROWS_MATCHES(reclag::GenScorer<T>(gp), reclag::invalid_argument,
                               reclag_test::what(Contains("GenScorer::Param: gamma must be positive and finite")));
        const T b = static_cast<T>(bad);
        typename reclag::ReclagScorer<T>::Param rp;
        rp.beta = b;
        REQUIRE_THROWS_MATCHES(reclag::ReclagScorer<T>(t.xi, rp), reclag::invalid_argument,
                               reclag_test::what(Contains("ReclagScore::Param: beta must be positive and finite")));
        REQUIRE_THROWS_MATCHES(reclag::LogSumExpLagrangian<T>({b}), reclag::invalid_argument,
                               reclag_test::what(Contains("LogSumExpLagrangian::Param: beta must be positive and finite")));
        REQUIRE_THROWS_MATCHES(reclag::RecLagLagrangian<T>({b, T(0)}), reclag::invalid_argument,
                               reclag_test::what(Contains("RecLagLagrangian::Param: beta must be positive and finite")));
        typename reclag::SfnnTrainer<T>::Param tp;
        tp.beta = b;
        REQUIRE_THROWS_MATCHES(reclag::SfnnTrainer<T>(tp), reclag::invalid_argument,
                               reclag_test::what(Contains("SfnnTrainer::Param::check_param: beta must be positive and finite")));
        tp = {};
        tp.feature_norm = b;
        REQUIRE_THROWS_MATCHES(reclag::SfnnTrainer<T>(tp), reclag::invalid_argument, reclag_test::what(Contains("feature_norm must be positive")));
        reclag::ScoresOverTimeParam<T> sp;
        sp.beta = b;
        REQUIRE_THROWS_MATCHES(sp.check_param(), reclag::invalid_argument, reclag_test::what(Contains("ScoresOverTimeParam: beta must be positive")));
        REQUIRE_THROWS_MATCHES(reclag::reclag_scores(t.x, t.xi, b, T(10)), reclag::invalid_argument,
                               reclag_test::what(Contains("reclag_scores: beta must be positive and finite")));
    }
    // norm: 0 is allowed (raw features); negative or non-finite is not.
    for (const double bad : {-1.0, nan, inf}) {
        typename reclag::ReclagScorer<T>::Param rp;
        rp.norm = static_cast<T>(bad);
        REQUIRE_THROWS_MATCHES(reclag::ReclagScorer<T>(t.xi, rp), reclag::invalid_argument,
                               reclag_test::what(Contains("ReclagScore::Param: norm must be finite and >= 0")));
        REQUIRE_THROWS_MATCHES(reclag::reclag_scores(t.x, t.xi, T(5), static_cast<T>(bad)), reclag::invalid_argument,
                               reclag_test::what(Contains("reclag_scores: norm must be finite and >= 0")));
    }
    // gamma is carried as log gamma: gamma <= 0 or infinite is a non-finite log gamma.
    reclag::ReclagScorer<T> rec(t.xi);
    for (const double bad : {-inf, inf, nan}) {
        REQUIRE_THROWS_MATCHES(rec.set_log_gamma(static_cast<T>(bad)), reclag::invalid_argument,
                               reclag_test::what(Contains("ReclagScore::set_log_gamma: log_gamma must be finite")));
        REQUIRE_THROWS_MATCHES(reclag::RecLagLagrangian<T>({T(5), static_cast<T>(bad)}), reclag::invalid_argument,
                               reclag_test::what(Contains("RecLagLagrangian::Param: log_gamma must be finite")));
    }
    typename reclag::ReclagScorer<T>::Param tpr;
    tpr.target_tpr = 0.0;
    REQUIRE_THROWS_MATCHES(reclag::ReclagScorer<T>(t.xi, tpr), reclag::invalid_argument,
                           reclag_test::what(Contains("ReclagScorer::Param: target_tpr must be in (0, 1]")));
    // A double hyper-parameter that is valid in double but not once rounded to float.
    if (std::is_same_v<T, float>) {
        REQUIRE_THROWS_MATCHES(reclag::EnergyScorer<T>({1e-60}), reclag::invalid_argument,
                               reclag_test::what(Contains("temperature (rounded to Scalar) must be positive")));
        // 1e-40 is a float subnormal: positive, but 1/T overflows (0 * inf would be NaN).
        REQUIRE_THROWS_MATCHES(reclag::EnergyScorer<T>({1e-40}), reclag::invalid_argument,
                               reclag_test::what(Contains("1 / temperature (in Scalar) must be positive and finite")));
        REQUIRE_THROWS_MATCHES(reclag::MheScorer<T>({1e300}), reclag::invalid_argument,
                               reclag_test::what(Contains("MheScorer::Param: beta (rounded to Scalar) must be positive and finite")));
    } else {
        // In double the same values are fine, and the scores finite.
        reclag::EnergyScorer<T> e({1e-40});
        e.fit(t.fit_view());
        CHECK(reclag_test::all_finite(e.score(t.fit_view())));
    }
}

TEMPLATE_TEST_CASE("bad input: a percentile outside its range", "[reliability][bad_input]", float, double) {
    using T = TestType;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    // ReAct clips at the p-th percentile, p in (0, 100] (100 = the largest activation: no clip).
    for (const double bad : {0.0, -5.0, 100.5, nan})
        REQUIRE_THROWS_MATCHES(reclag::ReActScorer<T>({bad}), reclag::invalid_argument,
                               reclag_test::what(Contains("ReActScorer::Param: percentile must lie in (0, 100]")));
    // ASH prunes below the p-th percentile, p in [0, 100) (100 would keep no activation).
    for (const double bad : {100.0, -1.0, nan})
        REQUIRE_THROWS_MATCHES(reclag::AshScorer<T>({bad}), reclag::invalid_argument,
                               reclag_test::what(Contains("AshScorer::Param: percentile must be in [0, 100)")));
    // DICE keeps weights above the p-th percentile, p in [0, 100].
    for (const double bad : {-1.0, 101.0, nan})
        REQUIRE_THROWS_MATCHES(reclag::DiceScorer<T>({bad}), reclag::invalid_argument,
                               reclag_test::what(Contains("DiceScorer::Param: percentile must be in [0, 100]")));
    REQUIRE_THROWS_MATCHES(reclag::percentile_numpy_linear({1.0, 2.0}, 101.0), reclag::invalid_argument,
                           reclag_test::what(Contains("percentile_numpy_linear: p must be in [0, 100]")));
    REQUIRE_THROWS_MATCHES(reclag::percentile_numpy_linear({}, 50.0), reclag::invalid_argument,
                           reclag_test::what(Contains("percentile_numpy_linear: values is empty")));
    const TinyData<T> t;
    // A valid ASH percentile can still keep no activation for a small D: k = D - round(D p/100)
    // = 4 - round(3.6) = 0 at the default p = 90 and D = 4 (the fixture uses p = 50, k = 2).
    reclag::AshScorer<T> ash({90.0});
    REQUIRE_THROWS_MATCHES(ash.fit(t.fit_view(), t.head()), reclag::invalid_argument,
                           reclag_test::what(Contains("AshScorer::fit: percentile 90 keeps no activation of D = 4")));
    CHECK_FALSE(ash.is_fitted());
    // p = 100 is valid for ReAct: the clip is the largest ID activation, so the ID-fit rows
    // are not clipped at all and ReAct equals the energy of the head's logits.
    reclag::ReActScorer<T> react({100.0});
    react.fit(t.fit_view(), t.head());
    CHECK(react.threshold() == static_cast<double>(t.x.maxCoeff()));
    reclag::EnergyScorer<T> energy;
    energy.fit(t.fit_view());
    const reclag::Vector<T> a = react.score(t.fit_view()), e = energy.score(t.fit_view());
    for (Index i = 0; i < t.n; ++i)
        CHECK(static_cast<double>(a(i)) == Approx(static_cast<double>(e(i))).epsilon(16 * std::numeric_limits<T>::epsilon()));
}

TEMPLATE_TEST_CASE("bad input: more neighbours, memories or dimensions than the samples allow", "[reliability][bad_input]",
                   float, double) {
    using T = TestType;
    const TinyData<T> t;
    reclag::KnnScorer<T> knn({16});
    REQUIRE_THROWS_MATCHES(knn.fit(t.fit_view()), reclag::invalid_argument,
                           reclag_test::what(Contains("KnnScorer::fit: k = 16 exceeds the number of ID-fit rows (15)")));
    reclag::KnnScorer<T> knn15({15});  // k = n is the farthest fit row: allowed
    knn15.fit(t.fit_view());
    CHECK(reclag_test::all_finite(knn15.score(t.fit_view())));
    typename reclag::VimScorer<T>::Param vp;
    vp.dim = 4;
    reclag::VimScorer<T> vim(vp);
    REQUIRE_THROWS_MATCHES(vim.fit(t.fit_view(), t.head()), reclag::invalid_argument,
                           reclag_test::what(Contains("VimScorer::fit: dim = 4 must be in [1, D) for the feature dimension D = 4")));
    // GEN's top_m larger than C uses all C probabilities: the same scores as top_m = C.
    typename reclag::GenScorer<T>::Param g1000, g3;
    g1000.top_m = 1000;
    g3.top_m = 3;
    reclag::GenScorer<T> gen_a(g1000), gen_b(g3);
    gen_a.fit(t.fit_view());
    gen_b.fit(t.fit_view());
    CHECK(gen_a.score(t.fit_view()) == gen_b.score(t.fit_view()));
    // RecLag calibration: target_tpr * n below 1 keeps no ID sample.
    typename reclag::ReclagScorer<T>::Param rp;
    rp.target_tpr = 0.05;
    reclag::ReclagScorer<T> rec(t.xi, rp);
    REQUIRE_THROWS_MATCHES(rec.fit(t.fit_view()), reclag::invalid_argument,
                           reclag_test::what(Contains("log_gamma_at_tpr: tpr * n = 0.75") && Contains("keeps no ID sample (n = 15)")));
    // N_H larger than the training rows: SfnnTrainer caps N_H at n (documented): 15 memories.
    typename reclag::SfnnTrainer<T>::Param sp;
    sp.n_hidden = 1000;
    sp.epochs = 1;
    reclag::SfnnTrainer<T> trainer(sp);
    const auto res = trainer.fit(t.x);
    CHECK(res.xi.rows() == t.n);
    CHECK(res.xi.cols() == t.d);
    CHECK(res.xi.allFinite());
    // The public code's N_H = min(N_c, 250): 5 rows per class here.
    reclag::SfnnTrainer<T> code(reclag::SfnnTrainer<T>::Param::public_code());
    for (const auto& r : code.fit_per_class(t.fit_view())) CHECK(r.xi.rows() == 5);
}

TEMPLATE_TEST_CASE("bad input: absurd sizes throw before anything is allocated", "[reliability][bad_input]", float, double) {
    using T = TestType;
    const TinyData<T> t;
    // A view whose element count overflows Index (2^40 x 2^40 = 2^80): never read, never copied.
    const T dummy[1] = {T(0)};
    const Index huge = Index(1) << 40;
    const Eigen::Map<const reclag::RowMatrix<T>> row_major(dummy, huge, huge);
    REQUIRE_THROWS_MATCHES(reclag::FeatureView<T>(row_major), reclag::invalid_argument,
                           reclag_test::what(Contains("FeatureView: features has shape 1099511627776 x 1099511627776") &&
                               Contains("overflows Index")));
    // Column-major input is copied into a row-major buffer: the shape is checked before the copy.
    const Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>> col_major(dummy, huge, huge);
    REQUIRE_THROWS_MATCHES(reclag::FeatureView<T>(t.x.topRows(0), col_major), reclag::invalid_argument,
                           reclag_test::what(Contains("FeatureView: logits has shape") && Contains("overflows Index")));
    REQUIRE_THROWS_MATCHES(reclag::ClassifierHead<T>(col_major, t.b), reclag::invalid_argument,
                           reclag_test::what(Contains("ClassifierHead: weight has shape") && Contains("overflows Index")));
    // Mahalanobis' C = max label + 1 is bounded by n before the means are allocated.
    reclag::LabelVector y = t.y;
    y(0) = std::numeric_limits<std::int64_t>::max();
    reclag::MahalanobisScorer<T> maha;
    REQUIRE_THROWS_MATCHES(maha.fit(reclag::FeatureView<T>(t.x, t.z, y)), reclag::invalid_argument,
                           reclag_test::what(Contains("cannot all be present")));
    // A batch size of 2^62 is one batch of all 15 rows (the workspace is sized by the rows,
    // not by the parameter), so training runs, and gives the same xi as batch_size = n.
    typename reclag::SfnnTrainer<T>::Param sp;
    sp.epochs = 2;
    sp.n_hidden = 4;
    sp.batch_size = Index(1) << 62;
    reclag::SfnnTrainer<T> big(sp);
    const auto rb = big.fit(t.x);
    sp.batch_size = t.n;
    reclag::SfnnTrainer<T> exact(sp);
    const auto re = exact.fit(t.x);
    CHECK(rb.xi == re.xi);
    // Monte Carlo samples whose workspace (rows x M) overflows Index.
    sp.mc_samples = Index(1) << 62;
    reclag::SfnnTrainer<T> mc(sp);
    REQUIRE_THROWS_MATCHES(mc.fit(t.x), reclag::invalid_argument, reclag_test::what(Contains("SfnnTrainer: a workspace of 15 batch rows") &&
                                                                    Contains("overflows Index")));
    // A trajectory of 2^62 steps of a 15 x 4 batch would overflow Index (and steps + 1 too).
    const reclag::HopfieldDynamics<reclag::LogSumExpLagrangian<T>, reclag::QuadraticLagrangian<T>> dyn(t.xi);
    REQUIRE_THROWS_MATCHES(dyn.adiabatic_trajectory(t.x, std::numeric_limits<Index>::max()), reclag::invalid_argument,
                           reclag_test::what(Contains("HopfieldDynamics::adiabatic_trajectory: steps = 9223372036854775807") &&
                               Contains("overflow Index")));
    reclag::ScoresOverTimeParam<T> op;
    op.steps = std::numeric_limits<Index>::max() / 2;
    REQUIRE_THROWS_MATCHES(reclag::scores_over_time(t.x, t.xi, op), reclag::invalid_argument, reclag_test::what(Contains("overflow Index")));
}

TEMPLATE_TEST_CASE("bad input: finite inputs whose score overflows the Scalar are named, never a NaN score",
                   "[reliability][bad_input]", float, double) {
    using T = TestType;
    const TinyData<T> t;
    // MHE's dot products x . S_mu overflow to inf when the features are near sqrt(max): the
    // max-shifted LSE of inf would be inf - inf = NaN. The row is named instead.
    const auto mhe = t.fitted("mhe");
    reclag::RowMatrix<T> x = t.x;
    x.row(4) *= std::numeric_limits<T>::max() / T(4);  // finite, but x . S_mu is not
    REQUIRE_THROWS_MATCHES(mhe.score(reclag::FeatureView<T>(x, t.z)), reclag::invalid_argument,
                           reclag_test::what(Contains("MheScorer::score: the score of row 4 is not finite") && Contains("overflow")));
    const auto she = t.fitted("she");
    REQUIRE_THROWS_MATCHES(she.score(reclag::FeatureView<T>(x, t.z)), reclag::invalid_argument,
                           reclag_test::what(Contains("SheScorer::score: the score of row 4 is not finite")));
}
