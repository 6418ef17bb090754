// Golden cases for the extra scorers (shared/golden/extra_scorers.json, README-extra.md):
// maxlogit, knn / knn_sq, mahalanobis, vim, gen, ash, dice on the cases `generic`,
// `ties_and_zeros` and `many_classes_topM` (`reclag_code_tiny` belongs to the trainer tests).
#include <catch2/catch.hpp>

#include <string>
#include <type_traits>

#include <reclag/score/ash.hpp>
#include <reclag/score/dice.hpp>
#include <reclag/score/gen.hpp>
#include <reclag/score/knn.hpp>
#include <reclag/score/mahalanobis.hpp>
#include <reclag/score/max_logit.hpp>
#include <reclag/score/vim.hpp>

#include "golden.hpp"

using reclag_test::close;
using reclag_test::MatrixXdR;

namespace {

template <typename T>
constexpr bool contract_holds() {
    reclag::static_assert_scorer<reclag::MaxLogitScorer<T>>();
    reclag::static_assert_scorer<reclag::KnnScorer<T>>();
    reclag::static_assert_scorer<reclag::MahalanobisScorer<T>>();
    reclag::static_assert_scorer<reclag::VimScorer<T>>();
    reclag::static_assert_scorer<reclag::GenScorer<T>>();
    reclag::static_assert_scorer<reclag::AshScorer<T>>();
    reclag::static_assert_scorer<reclag::DiceScorer<T>>();
    return reclag::is_scorer_v<reclag::MaxLogitScorer<T>> && reclag::is_scorer_v<reclag::KnnScorer<T>> &&
           reclag::is_scorer_v<reclag::MahalanobisScorer<T>> && reclag::is_scorer_v<reclag::VimScorer<T>> &&
           reclag::is_scorer_v<reclag::GenScorer<T>> && reclag::is_scorer_v<reclag::AshScorer<T>> &&
           reclag::is_scorer_v<reclag::DiceScorer<T>>;
}
static_assert(contract_holds<float>(), "float scorers satisfy the contract");
static_assert(contract_holds<double>(), "double scorers satisfy the contract");

/// One golden case, converted to Scalar T; views point into these members.
template <typename T>
struct Case {
    std::string name;
    reclag_test::Json params;
    reclag_test::Json expected;
    reclag::RowMatrix<T> train_x, train_z, x, z, w;
    reclag::Vector<T> b;
    reclag::LabelVector train_y;

    explicit Case(const reclag_test::Json& c)
        : name(c["name"].as_string()), params(c["params"]), expected(c["expected"]) {
        train_x = reclag_test::mat(c["inputs"]["train_features"]).cast<T>();
        train_y = reclag_test::ivec(c["inputs"]["train_labels"]);
        x = reclag_test::mat(c["inputs"]["features"]).cast<T>();
        w = reclag_test::mat(c["inputs"]["W"]).cast<T>();
        b = reclag_test::vec(c["inputs"]["b"]).cast<T>();
        // The cases state that the logits are exactly features W^T + b (expected values).
        train_z = reclag_test::mat(expected["train_logits"]).cast<T>();
        z = reclag_test::mat(expected["logits"]).cast<T>();
    }
    reclag::FeatureView<T> fit_view() const { return reclag::FeatureView<T>(train_x, train_z, train_y); }
    reclag::FeatureView<T> test_view() const { return reclag::FeatureView<T>(x, z); }
    reclag::ClassifierHead<T> head() const { return reclag::ClassifierHead<T>(w, b); }
    double p(const char* key) const { return reclag_test::scalar(params[key]); }
    Eigen::VectorXd ev(const char* key) const { return reclag_test::vec(expected[key]); }
    MatrixXdR em(const char* key) const { return reclag_test::mat(expected[key]); }
    double es(const char* key) const { return reclag_test::scalar(expected[key]); }
};

template <typename T>
std::vector<Case<T>> scorer_cases() {
    std::vector<Case<T>> out;
    const reclag_test::Json golden = reclag_test::load_golden("extra_scorers.json");  // outlives the loop
    for (const auto& c : golden["cases"].array)
        if (c["name"].as_string() != "reclag_code_tiny") out.emplace_back(c);
    return out;
}

template <typename T>
double tol() {
    return std::is_same_v<T, double> ? 1e-12 : 3e-5;
}

template <typename A, typename B>
void check_vector(const A& actual, const B& expected, double rtol, double atol) {
    REQUIRE(actual.size() == expected.size());
    for (Eigen::Index i = 0; i < actual.size(); ++i) {
        INFO("entry " << i << ": " << double(actual(i)) << " vs " << double(expected(i)));
        CHECK(close(double(actual(i)), double(expected(i)), rtol, atol));
    }
}

template <typename A, typename B>
void check_matrix(const A& actual, const B& expected, double rtol, double atol) {
    REQUIRE(actual.rows() == expected.rows());
    REQUIRE(actual.cols() == expected.cols());
    for (Eigen::Index i = 0; i < actual.rows(); ++i)
        for (Eigen::Index j = 0; j < actual.cols(); ++j) {
            INFO("entry (" << i << ", " << j << "): " << double(actual(i, j)) << " vs " << double(expected(i, j)));
            CHECK(close(double(actual(i, j)), double(expected(i, j)), rtol, atol));
        }
}

}  // namespace

TEST_CASE("the golden file holds the three scorer cases", "[score][golden]") {
    CHECK(scorer_cases<double>().size() == 3);
}

TEMPLATE_TEST_CASE("maxlogit matches the golden cases", "[score][golden][maxlogit]", float, double) {
    for (const auto& c : scorer_cases<TestType>()) {
        INFO("case " << c.name);
        reclag::MaxLogitScorer<TestType> s;
        s.fit(c.fit_view());
        check_vector(s.score(c.test_view()), c.ev("maxlogit"), tol<TestType>(), tol<TestType>());
    }
}

TEMPLATE_TEST_CASE("knn and knn_sq match the golden cases", "[score][golden][knn]", float, double) {
    for (const auto& c : scorer_cases<TestType>()) {
        INFO("case " << c.name);
        typename reclag::KnnScorer<TestType>::Param p;
        p.k = static_cast<Eigen::Index>(c.p("knn_k"));
        p.block_rows = 2;  // several blocks, one partial
        reclag::KnnScorer<TestType> knn(p);
        knn.fit(c.fit_view());
        check_vector(knn.score(c.test_view()), c.ev("knn"), tol<TestType>(), tol<TestType>());
        p.squared = true;
        reclag::KnnScorer<TestType> knn_sq(p);
        knn_sq.fit(c.fit_view());
        const reclag::Vector<TestType> sq = knn_sq.score(c.test_view());
        check_vector(sq, c.ev("knn_sq"), tol<TestType>(), tol<TestType>());
        check_vector((-sq).eval(), c.ev("knn_kth_sqdist"), tol<TestType>(), tol<TestType>());
    }
}

TEMPLATE_TEST_CASE("mahalanobis (pinvh) matches the golden cases", "[score][golden][mahalanobis]", float, double) {
    for (const auto& c : scorer_cases<TestType>()) {
        INFO("case " << c.name);
        reclag::MahalanobisScorer<TestType> s;
        s.fit(c.fit_view());
        const double t = tol<TestType>();
        check_matrix(s.class_means(), c.em("mds_class_means"), t, t);
        check_matrix(s.covariance(), c.em("mds_covariance"), t, t);
        CHECK(s.rank() == static_cast<Eigen::Index>(c.es("mds_pinvh_rank")));
        if constexpr (std::is_same_v<TestType, double>) {
            // The precision of a covariance with eigenvalues near the cutoff amplifies the
            // input rounding; compare it only for the exact (double) inputs.
            const MatrixXdR precision = c.em("mds_precision");
            check_matrix(s.precision(), precision, 1e-9, 1e-9 * precision.cwiseAbs().maxCoeff());
        }
        const Eigen::VectorXd expected = c.ev("mahalanobis");
        check_vector(s.score(c.test_view()), expected, t, t * expected.cwiseAbs().maxCoeff());
    }
}

TEMPLATE_TEST_CASE("vim matches the golden cases", "[score][golden][vim]", float, double) {
    for (const auto& c : scorer_cases<TestType>()) {
        INFO("case " << c.name);
        typename reclag::VimScorer<TestType>::Param p;
        p.dim = static_cast<Eigen::Index>(c.p("vim_dim"));
        CHECK(p.dim == static_cast<Eigen::Index>(c.es("vim_dim")));
        reclag::VimScorer<TestType> s(p);
        s.fit(c.fit_view(), c.head());
        const double t = tol<TestType>();
        check_vector(s.origin(), c.ev("vim_u"), t, t);
        const Eigen::MatrixXd projector = s.residual_basis() * s.residual_basis().transpose();
        check_matrix(projector, c.em("vim_residual_projector"), t, t);
        CHECK(close(s.alpha(), c.es("vim_alpha"), t, t));
        check_vector(s.residual_norm(c.x), c.ev("vim_residual"), t, t);
        check_vector(s.score(c.test_view()), c.ev("vim"), t, t);
    }
}

TEMPLATE_TEST_CASE("gen matches the golden cases, saturated softmax included", "[score][golden][gen]", float, double) {
    for (const auto& c : scorer_cases<TestType>()) {
        INFO("case " << c.name);
        typename reclag::GenScorer<TestType>::Param p;
        p.gamma = c.p("gen_gamma");
        p.top_m = static_cast<Eigen::Index>(c.p("gen_M"));
        reclag::GenScorer<TestType> s(p);
        s.fit(c.fit_view());
        check_vector(s.score(c.test_view()), c.ev("gen"), tol<TestType>(), tol<TestType>());
    }
}

TEMPLATE_TEST_CASE("ash matches the golden cases, ties included", "[score][golden][ash]", float, double) {
    for (const auto& c : scorer_cases<TestType>()) {
        INFO("case " << c.name);
        typename reclag::AshScorer<TestType>::Param p;
        p.percentile = c.p("ash_percentile");
        reclag::AshScorer<TestType> s(p);
        s.fit(c.fit_view(), c.head());
        CHECK(s.k() == static_cast<Eigen::Index>(c.es("ash_k")));
        const double t = tol<TestType>();
        check_matrix(s.shape(c.x), c.em("ash_features"), t, t);
        check_vector(s.score(c.test_view()), c.ev("ash"), t, t);
    }
}

TEMPLATE_TEST_CASE("dice matches the golden cases, threshold ties included", "[score][golden][dice]", float, double) {
    for (const auto& c : scorer_cases<TestType>()) {
        INFO("case " << c.name);
        typename reclag::DiceScorer<TestType>::Param p;
        p.percentile = c.p("dice_p");
        reclag::DiceScorer<TestType> s(p);
        s.fit(c.fit_view(), c.head());
        const double t = tol<TestType>();
        check_vector(s.mean_activation(), c.ev("dice_mean_act"), t, t);
        CHECK(close(s.threshold(), c.es("dice_threshold"), t, t));
        if constexpr (std::is_same_v<TestType, double>) {
            // The mask is a strict comparison: exact only for the exact inputs.
            check_matrix(s.mask().template cast<double>(), c.em("dice_mask"), 0.0, 0.0);
        }
        check_vector(s.score(c.test_view()), c.ev("dice"), t, t);
    }
}
