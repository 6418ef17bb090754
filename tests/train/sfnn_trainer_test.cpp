// SfnnTrainer: step-by-step Adam training against golden/training_tiny.json, the authors'
// public-code preset against extra_scorers.json `reclag_code_tiny`, determinism, options,
// hand-worked optimiser steps and parameter checks.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <set>

#include <reclag/train/sfnn_trainer.hpp>

#include "golden.hpp"

using reclag::Index;
using reclag_test::close;
using reclag_test::MatrixXdR;

namespace {

template <typename A, typename B>
void check_close(const A& got, const B& expected, double rtol, double atol, const char* what) {
    INFO(what);
    REQUIRE(got.rows() == expected.rows());
    REQUIRE(got.cols() == expected.cols());
    for (Index i = 0; i < got.rows(); ++i)
        for (Index j = 0; j < got.cols(); ++j) {
            INFO("(" << i << ", " << j << ") got " << double(got(i, j)) << " expected " << double(expected(i, j)));
            CHECK(close(double(got(i, j)), double(expected(i, j)), rtol, atol));
        }
}

std::vector<Index> to_index(const Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1>& v) {
    return std::vector<Index>(v.data(), v.data() + v.size());
}

MatrixXdR random_features(Index n, Index d, std::uint32_t seed) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<double> u01(0.0, 1.0);
    MatrixXdR x(n, d);
    for (Index i = 0; i < n; ++i)
        for (Index j = 0; j < d; ++j) x(i, j) = std::max(0.0, u01(gen) - 0.3) + (j == i % d ? 1.0 : 0.0);
    return x;
}

}  // namespace

TEST_CASE("SfnnTrainer steps reproduce training_tiny.json (Adam, exact and MC)", "[train][golden]") {
    const auto golden = reclag_test::load_golden("training_tiny.json");
    for (const auto& c : golden["cases"].array) {
        const std::string name = c["name"].as_string();
        INFO("case " << name);
        const auto& pr = c["params"];
        reclag::SfnnTrainer<double>::Param p;
        p.beta = reclag_test::scalar(pr["beta"]);
        p.feature_norm = reclag_test::scalar(pr["s"]);
        p.init_norm = p.feature_norm;
        p.optimizer.lr = reclag_test::scalar(pr["lr"]);
        p.optimizer.beta1 = reclag_test::scalar(pr["adam_b1"]);
        p.optimizer.beta2 = reclag_test::scalar(pr["adam_b2"]);
        p.optimizer.eps = reclag_test::scalar(pr["adam_eps"]);
        const bool mc = name == "mc";
        p.estimator = mc ? reclag::SfnnEstimator::MonteCarlo : reclag::SfnnEstimator::Exact;
        if (mc) p.mc_samples = static_cast<Index>(reclag_test::scalar(pr["M"]));
        p.batch_size = 4;
        const MatrixXdR x = reclag_test::mat(c["inputs"]["x"]);
        const auto init = to_index(reclag_test::ivec(c["inputs"]["init_indices"]));
        reclag::SfnnTrainer<double> t(p);
        t.initialize(x, init);
        const auto& e = c["expected"];
        check_close(t.xi(), reclag_test::mat(e["xi_init"]), 1e-12, 1e-12, "xi_init");
        check_close(t.log_var().transpose(), reclag_test::mat(e["log_var_init"]), 1e-12, 1e-12, "log_var_init");
        int k = 0;
        for (const auto& st : e["steps"].array) {
            INFO("step " << k++);
            const auto batch = to_index(reclag_test::ivec(st["batch"]));
            const double obj = mc ? t.step(x, batch, reclag_test::mat(st["u"])) : t.step(x, batch);
            CHECK(close(obj, reclag_test::scalar(st["objective_mean"]), 1e-9, 1e-9));
            check_close(t.xi(), reclag_test::mat(st["xi_after"]), 1e-9, 1e-9, "xi_after");
            check_close(t.log_var().transpose(), reclag_test::mat(st["log_var_after"]), 1e-9, 1e-9, "log_var_after");
        }
        CHECK(close(t.exact_objective(x), reclag_test::scalar(e["full_exact_objective_final"]), 1e-9, 1e-9));
    }
}

TEST_CASE("public-code preset reproduces reclag_code_tiny (per-class training)", "[train][golden]") {
    const auto golden = reclag_test::load_golden("extra_scorers.json");
    const reclag_test::Json* found = nullptr;
    for (const auto& c : golden["cases"].array)
        if (c["name"].as_string() == "reclag_code_tiny") found = &c;
    REQUIRE(found != nullptr);
    const auto& c = *found;
    const auto& pr = c["params"];
    auto p = reclag::SfnnTrainer<double>::Param::public_code();
    // The preset's structure is the public code's; the golden case shrinks its sizes.
    CHECK(p.n_hidden == 250);
    CHECK(p.batch_size == 50);
    CHECK(p.epochs == 50);
    CHECK(p.optimizer.lr == 1e-3);
    CHECK(p.optimizer.beta2 == 0.98);
    CHECK(p.optimizer.eps == 1e-9);
    CHECK(p.init_norm == 10);
    p.beta = reclag_test::scalar(pr["beta"]);
    p.n_hidden = static_cast<Index>(reclag_test::scalar(pr["n_hidden"]));
    p.epochs = static_cast<int>(reclag_test::scalar(pr["epochs"]));
    p.batch_size = static_cast<Index>(reclag_test::scalar(pr["batch_size"]));
    p.optimizer.lr = reclag_test::scalar(pr["lr"]);
    p.optimizer.beta1 = pr["adam_betas"].array[0].as_double();
    p.optimizer.beta2 = pr["adam_betas"].array[1].as_double();
    p.optimizer.eps = reclag_test::scalar(pr["adam_eps"]);
    p.init_norm = reclag_test::scalar(pr["init_norm"]);

    const auto& in = c["inputs"];
    const MatrixXdR feats = reclag_test::mat(in["train_features"]);
    const MatrixXdR logits = reclag_test::mat(in["train_logits"]);
    const reclag::LabelVector labels = reclag_test::ivec(in["train_labels"]);
    const reclag::FeatureView<double> split(feats, logits, labels);
    const std::vector<std::vector<Index>> init{to_index(reclag_test::ivec(in["init_rows_class0"])),
                                               to_index(reclag_test::ivec(in["init_rows_class1"]))};
    const auto& e = c["expected"];

    // Initial xi: train zero epochs.
    auto p0 = p;
    p0.epochs = 0;
    reclag::SfnnTrainer<double> t0(p0);
    const auto r0 = t0.fit_per_class(split, init);
    REQUIRE(r0.size() == 2);
    // Class 1 has N = 2 <= n_hidden: all rows in order, which the automatic choice must also give.
    reclag::SfnnTrainer<double> t0auto(p0);
    const auto r0auto = t0auto.fit_per_class(split);
    CHECK(r0auto[1].init_rows == init[1]);
    CHECK(r0auto[0].init_rows.size() == 3);

    reclag::SfnnTrainer<double> t(p);
    const auto r = t.fit_per_class(split, init);
    REQUIRE(r.size() == 2);
    for (int k = 0; k < 2; ++k) {
        const std::string ks = std::to_string(k);
        INFO("class " << k);
        CHECK(r[k].label == k);
        const auto rows = to_index(reclag_test::ivec(e["class_rows_class" + ks]));
        CHECK(r[k].rows == rows);
        CHECK(reclag::SfnnTrainer<double>::class_rows(split, k) == rows);
        check_close(r0[k].xi, reclag_test::mat(e["xi_init_class" + ks]), 1e-12, 1e-12, "xi_init");
        CHECK(r[k].steps == static_cast<long>(reclag_test::scalar(e["steps_class" + ks])));
        check_close(r[k].xi, reclag_test::mat(e["xi_class" + ks]), 1e-9, 1e-9, "xi after training");
        CHECK(r[k].log_var.isZero(0));  // fixed unit variance
        CHECK(r[k].status == reclag::TrainStatus::Completed);
    }

    // First batch of class 0 at xi_init: per-sample J and the gradient of their mean.
    reclag::SfnnObjective<double> k;
    k.reserve(2, 3, 4, 1);
    const auto rows0 = r[0].rows;
    k.input(2).row(0) = feats.row(rows0[0]);
    k.input(2).row(1) = feats.row(rows0[1]);
    const Eigen::VectorXd lv0 = Eigen::VectorXd::Zero(1);
    k.exact(2, r0[0].xi, lv0, p.beta, reclag::VarianceLayout::Shared, true);
    check_close(k.objective().head(2).transpose(), reclag_test::mat(e["first_batch_objective_class0"]), 1e-12, 1e-12,
                "first batch objective");
    check_close(k.grad_xi(), reclag_test::mat(e["first_batch_grad_class0"]), 1e-12, 1e-12, "first batch gradient");
}

TEMPLATE_TEST_CASE("same seed gives bit-identical xi; another seed differs", "[train]", float, double) {
    using T = TestType;
    const reclag::RowMatrix<T> x = random_features(60, 6, 1).cast<T>();
    typename reclag::SfnnTrainer<T>::Param p;
    p.n_hidden = 8;
    p.epochs = 3;
    p.batch_size = 16;
    p.seed = 42;
    for (const auto est : {reclag::SfnnEstimator::MonteCarlo, reclag::SfnnEstimator::Exact}) {
        for (const auto init : {reclag::SfnnInit::RandomSamples, reclag::SfnnInit::KMeansPlusPlus}) {
            p.estimator = est;
            p.init = init;
            const auto a = reclag::SfnnTrainer<T>(p).fit(x);
            const auto b = reclag::SfnnTrainer<T>(p).fit(x);
            REQUIRE(a.xi.rows() == 8);
            CHECK(a.init_rows == b.init_rows);
            CHECK((a.xi.array() == b.xi.array()).all());
            CHECK((a.log_var.array() == b.log_var.array()).all());
            CHECK(a.objective == b.objective);
            std::set<Index> distinct(a.init_rows.begin(), a.init_rows.end());
            CHECK(distinct.size() == a.init_rows.size());
            auto q = p;
            q.seed = 43;
            const auto c = reclag::SfnnTrainer<T>(q).fit(x);
            CHECK(!(a.xi.array() == c.xi.array()).all());
        }
    }
}

TEST_CASE("covariance modes: diagonal learns D log-variances, isotropic one, fixed none", "[train]") {
    const MatrixXdR x = random_features(80, 5, 2);
    reclag::SfnnTrainer<double>::Param p;
    p.n_hidden = 6;
    p.epochs = 20;
    p.batch_size = 20;
    p.estimator = reclag::SfnnEstimator::Exact;
    p.track_full_objective = true;
    p.optimizer.lr = 0.02;
    for (const auto cov : {reclag::SfnnCovariance::Diagonal, reclag::SfnnCovariance::Isotropic, reclag::SfnnCovariance::Fixed}) {
        p.covariance = cov;
        p.log_var_init = cov == reclag::SfnnCovariance::Fixed ? 0.25 : 0.0;
        const auto r = reclag::SfnnTrainer<double>(p).fit(x);
        REQUIRE(r.log_var.size() == 5);
        REQUIRE(r.full_objective.size() == 21);
        CHECK(r.full_objective.back() > r.full_objective.front() + 1.0);  // training climbs
        CHECK(r.objective.size() == 20);
        CHECK(r.steps == 20 * 4);
        if (cov == reclag::SfnnCovariance::Fixed) {
            CHECK((r.log_var.array() == 0.25).all());
        } else if (cov == reclag::SfnnCovariance::Isotropic) {
            CHECK((r.log_var.array() == r.log_var(0)).all());
            CHECK(r.log_var(0) != 0.0);
        } else {
            CHECK(r.log_var.maxCoeff() != r.log_var.minCoeff());
        }
    }
}

TEST_CASE("batching: drop_last, file order, callback stops early, SGD momentum runs", "[train]") {
    const MatrixXdR x = random_features(50, 4, 3);
    reclag::SfnnTrainer<double>::Param p;
    p.n_hidden = 5;
    p.epochs = 4;
    p.batch_size = 16;
    p.drop_last = true;
    CHECK(reclag::SfnnTrainer<double>(p).fit(x).steps == 4 * 3);
    p.drop_last = false;
    CHECK(reclag::SfnnTrainer<double>(p).fit(x).steps == 4 * 4);

    reclag::SfnnTrainer<double> t(p);
    std::vector<int> seen;
    t.set_epoch_callback([&](int epoch, double objective, double seconds) {
        seen.push_back(epoch);
        CHECK(std::isfinite(objective));
        CHECK(seconds >= 0);
        return epoch < 2;
    });
    const auto r = t.fit(x);
    CHECK(seen == std::vector<int>{1, 2});
    CHECK(r.status == reclag::TrainStatus::StoppedByCallback);
    CHECK(r.epochs == 2);
    CHECK(r.objective.size() == 2);

    p.optimizer.kind = reclag::OptimizerKind::SgdMomentum;
    p.optimizer.lr = 1e-3;
    const auto s = reclag::SfnnTrainer<double>(p).fit(x);
    CHECK(s.status == reclag::TrainStatus::Completed);
    CHECK(s.xi.allFinite());

    // N < n_hidden: every row is a memory, in order.
    p.n_hidden = 100;
    const auto all = reclag::SfnnTrainer<double>(p).fit(x);
    CHECK(all.xi.rows() == 50);
    CHECK(all.init_rows.front() == 0);
    CHECK(all.init_rows.back() == 49);
}

TEST_CASE("optimisers follow the torch formulas (hand-worked steps)", "[train]") {
    reclag::OptimizerParam ap;
    ap.lr = 0.1;
    reclag::Optimizer<double> adam(ap);
    adam.reset({2});
    Eigen::VectorXd x(2), g(2);
    x << 1.0, -2.0;
    g << 0.5, -4.0;
    adam.begin_step();
    adam.update(0, x, g);
    // t = 1: m = (1-b1) g, v = (1-b2) g^2 -> step = lr g / (|g| + eps)
    CHECK(close(x(0), 1.0 - 0.1 * 0.5 / (0.5 + 1e-8), 1e-14, 1e-14));
    CHECK(close(x(1), -2.0 + 0.1 * 4.0 / (4.0 + 1e-8), 1e-14, 1e-14));
    adam.begin_step();
    adam.update(0, x, g);  // same gradient again: m/bc1 = g, v/bc2 = g^2 -> another step of lr g/(|g|+eps)
    CHECK(close(x(0), 1.0 - 2 * 0.1 * 0.5 / (0.5 + 1e-8), 1e-12, 1e-12));

    reclag::OptimizerParam sp;
    sp.kind = reclag::OptimizerKind::SgdMomentum;
    sp.lr = 0.1;
    sp.momentum = 0.5;
    reclag::Optimizer<double> sgd(sp);
    sgd.reset({1});
    Eigen::VectorXd y = Eigen::VectorXd::Constant(1, 1.0), h = Eigen::VectorXd::Constant(1, 2.0);
    sgd.begin_step();
    sgd.update(0, y, h);  // buf = 2, y = 1 - 0.2
    CHECK(close(y(0), 0.8, 1e-15, 1e-15));
    sgd.begin_step();
    sgd.update(0, y, h);  // buf = 0.5 * 2 + 2 = 3, y = 0.8 - 0.3
    CHECK(close(y(0), 0.5, 1e-15, 1e-15));
}

TEST_CASE("check_param and fit name the offending field", "[train]") {
    using P = reclag::SfnnTrainer<double>::Param;
    const auto msg = [](P p) {
        try {
            p.check_param();
        } catch (const reclag::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    P p;
    CHECK(msg(p).empty());
    CHECK(P::public_code().n_hidden == 250);
    p.n_hidden = 0;
    CHECK_THAT(msg(p), Catch::Contains("n_hidden"));
    p = P{};
    p.beta = -1;
    CHECK_THAT(msg(p), Catch::Contains("beta"));
    p = P{};
    p.mc_samples = 0;
    CHECK_THAT(msg(p), Catch::Contains("mc_samples"));
    p = P{};
    p.batch_size = 0;
    CHECK_THAT(msg(p), Catch::Contains("batch_size"));
    p = P{};
    p.optimizer.lr = 0;
    CHECK_THAT(msg(p), Catch::Contains("lr"));
    p = P{};
    p.optimizer.beta2 = 1.0;
    CHECK_THAT(msg(p), Catch::Contains("beta2"));
    p = P{};
    p.feature_norm = 0;
    CHECK_THAT(msg(p), Catch::Contains("feature_norm"));
    CHECK_THROWS_AS(reclag::SfnnTrainer<double>(p), reclag::invalid_argument);

    reclag::SfnnTrainer<double> t;
    MatrixXdR x = random_features(10, 3, 4);
    CHECK_THROWS_WITH(t.fit(x, std::vector<Index>{0, 12}), Catch::Contains("init_rows") && Catch::Contains("12"));
    x(2, 1) = std::nan("");
    CHECK_THROWS_WITH(t.fit(x), Catch::Contains("SfnnTrainer::fit") && Catch::Contains("row 2"));
    CHECK_THROWS_WITH(t.step(x, {0}), Catch::Contains("before initialize"));
    const MatrixXdR logits = MatrixXdR::Zero(10, 2);
    CHECK_THROWS_WITH(t.fit_per_class(reclag::FeatureView<double>(random_features(10, 3, 4), logits)),
                      Catch::Contains("labels"));
}

TEST_CASE("SfnnTrainer: a step whose objective or gradient is not finite stops training with NumericalIssue", "[train][sfnn]") {
    // Adam moves every weight by about lr per step whatever the gradient's scale, so lr = 1e37
    // puts xi near 1e37 after the first step; beta x~ . xi_mu (norm 10, D 6) is then ~1e39 >
    // FLT_MAX, so a later step's objective or gradient overflows. That step must not be applied:
    // training stops, says why, and returns the last finite xi (never a NaN or inf one).
    reclag::SfnnTrainer<float>::Param p;
    p.n_hidden = 4;
    p.epochs = 5;
    p.batch_size = 8;
    p.optimizer.lr = 1e37f;
    p.seed = 3;
    const reclag::RowMatrix<float> x = random_features(40, 6, 11).cast<float>();
    reclag::SfnnTrainer<float> trainer(p);
    const reclag::SfnnResult<float> r = trainer.fit(x);
    CHECK(r.status == reclag::TrainStatus::NumericalIssue);
    CHECK_FALSE(r.ok());
    CHECK(r.steps < 5 * 5);  // 40 rows / batch 8 = 5 steps per epoch, 5 epochs
    REQUIRE(r.xi.rows() == 4);
    CHECK(r.xi.allFinite());
    CHECK(r.log_var.allFinite());
}
