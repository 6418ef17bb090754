// AnyScorer: type erasure keeps the wrapped scorer's behaviour; the contract check rejects
// non-scorers at compile time (tested through the trait, since a failed static_assert cannot
// be a runtime test).
#include <catch2/catch.hpp>

#include <reclag/score/any_scorer.hpp>

#include <thread>

namespace {

/// A toy scorer: score = sum of features + bias learnt as minus the mean ID feature sum.
template <typename Scalar_>
class SumScorer {
public:
    using Scalar = Scalar_;
    static constexpr const char* name = "sum";
    void fit(const reclag::FeatureView<Scalar>& id_fit) {
        offset_ = -id_fit.features().rowwise().sum().mean();
        dim_ = id_fit.feature_dim();
        fitted_ = true;
    }
    void fit(const reclag::FeatureView<Scalar>& id_fit, const reclag::ClassifierHead<Scalar>&) { fit(id_fit); }
    reclag::Vector<Scalar> score(const reclag::FeatureView<Scalar>& split) const {
        reclag::ScoreChecks checks{"SumScorer::score"};
        checks.fitted(fitted_);
        checks.features(split, dim_);
        return (split.features().rowwise().sum().array() + offset_).matrix();
    }
    bool is_fitted() const { return fitted_; }

private:
    Scalar offset_ = 0;
    reclag::Index dim_ = 0;
    bool fitted_ = false;
};

struct NotAScorer {
    using Scalar = double;
};

}  // namespace

TEMPLATE_TEST_CASE("AnyScorer forwards fit and score to the wrapped scorer", "[score][any]", float, double) {
    using S = TestType;
    reclag::RowMatrix<S> train(2, 2), test(3, 2);
    train << 1, 2, 3, 4;  // row sums 3 and 7, mean 5
    test << 0, 0, 5, 5, 1, 1;
    reclag::AnyScorer<S> any = SumScorer<S>{};
    CHECK(any.scorer_name() == "sum");
    CHECK_FALSE(any.is_fitted());
    CHECK_THROWS_AS(any.score(reclag::FeatureView<S>(test)), reclag::invalid_argument);
    any.fit(reclag::FeatureView<S>(train));
    CHECK(any.is_fitted());
    const reclag::Vector<S> s = any.score(reclag::FeatureView<S>(test));
    REQUIRE(s.size() == 3);
    CHECK(s(0) == Approx(-5));
    CHECK(s(1) == Approx(5));
    CHECK(s(2) == Approx(-3));
    REQUIRE(any.template target<SumScorer<S>>() != nullptr);

    // A copy is independent: refitting the copy leaves the original's scores unchanged.
    reclag::AnyScorer<S> copy = any;
    reclag::RowMatrix<S> other(1, 2);
    other << 100, 100;
    copy.fit(reclag::FeatureView<S>(other));
    CHECK(any.score(reclag::FeatureView<S>(test))(0) == Approx(-5));
    CHECK(copy.score(reclag::FeatureView<S>(test))(0) == Approx(-200));
}

TEST_CASE("AnyScorer scores a user scorer without score(split, out) into caller storage", "[score][any]") {
    reclag::RowMatrix<double> train(2, 2), test(3, 2);
    train << 1, 2, 3, 4;  // row sums 3 and 7, mean 5: scores are row sum - 5
    test << 0, 0, 5, 5, 1, 1;
    reclag::AnyScorer<double> any = SumScorer<double>{};
    any.fit(reclag::FeatureView<double>(train));
    const reclag::FeatureView<double> view(test);
    reclag::Vector<double> out = reclag::Vector<double>::Constant(3, 99.0);
    any.score(view, out);
    CHECK(out(0) == -5.0);
    CHECK(out(1) == 5.0);
    CHECK(out(2) == -3.0);
    reclag::AnyScorer<double>::Workspace ws;
    out.setConstant(99.0);
    any.score(view, out, ws);  // SumScorer takes no workspace: the same copy
    CHECK(out(0) == -5.0);
    CHECK(out(1) == 5.0);
    CHECK(out(2) == -3.0);
    reclag::Vector<double> short_out(2);
    CHECK_THROWS_WITH(any.score(view, short_out), Catch::Contains("AnyScorer::score: out has 2 elements, expected 3"));
    CHECK_THROWS_WITH(any.score(view, short_out, ws), Catch::Contains("AnyScorer::score: out has 2 elements, expected 3"));
}

TEST_CASE("AnyScorer reports misuse clearly", "[score][any]") {
    reclag::AnyScorer<double> empty;
    CHECK(empty.empty());
    reclag::RowMatrix<double> x(1, 1);
    x << 1;
    CHECK_THROWS_WITH(empty.fit(reclag::FeatureView<double>(x)), Catch::Contains("AnyScorer is empty"));
    reclag::AnyScorer<double> any = SumScorer<double>{};
    any.fit(reclag::FeatureView<double>(x));
    reclag::RowMatrix<double> wide(1, 3);
    wide << 1, 2, 3;
    CHECK_THROWS_WITH(any.score(reclag::FeatureView<double>(wide)),
                      Catch::Contains("SumScorer::score: features has 3 columns, expected 1"));
}

TEST_CASE("the scorer trait accepts scorers and rejects other types", "[score][contract]") {
    STATIC_REQUIRE(reclag::is_scorer_v<SumScorer<float>>);
    STATIC_REQUIRE(reclag::is_scorer_v<reclag::AnyScorer<double>>);
    STATIC_REQUIRE_FALSE(reclag::is_scorer_v<NotAScorer>);
    STATIC_REQUIRE_FALSE(reclag::is_scorer_v<int>);
}

TEST_CASE("a fitted AnyScorer scores from several threads with identical results", "[score][any][threads]") {
    reclag::RowMatrix<double> train = reclag::RowMatrix<double>::Random(50, 8);
    reclag::RowMatrix<double> test = reclag::RowMatrix<double>::Random(400, 8);
    reclag::AnyScorer<double> any = SumScorer<double>{};
    any.fit(reclag::FeatureView<double>(train));
    const reclag::Vector<double> expected = any.score(reclag::FeatureView<double>(test));
    std::vector<reclag::Vector<double>> results(4);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] { results[t] = any.score(reclag::FeatureView<double>(test)); });
    for (auto& th : threads) th.join();
    for (const auto& r : results) CHECK(r == expected);
}
