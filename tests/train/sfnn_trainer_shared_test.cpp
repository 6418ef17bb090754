// SfnnTrainer on the real FMNIST CNN features (../shared/data/fmnist-cnn512) with the Python
// reference's settings: exact estimator, diagonal log-variances, Adam lr 3e-3 (0.9, 0.999, 1e-8),
// batch 128 (last partial kept), shuffled, N_H 250, beta 5, s 10, float.
//
// The full 100-epoch run (reference: 596.58 at epoch 100) takes minutes on the shared 2-core
// machine, so the test trains kEpochs = 30 epochs and compares the mean exact objective over
// id_train with the reference's value at epoch 30 (594.49). Tolerance 1%: by epoch 30 both runs
// are on the plateau (the reference moves by < 0.4 per epoch after epoch 30, and by 2.1 from
// epoch 30 to 100); our initial rows and permutations come from a different RNG (mt19937_64, not
// NumPy's PCG64), so the runs agree in distribution, not bit for bit. Before the plateau (epoch
// 10: 212, epoch 20: 572) the curve is too steep for a 1% comparison to be meaningful.
#include <catch2/catch.hpp>

#include <cmath>
#include <iostream>

#include <reclag/io/npy.hpp>
#include <reclag/metrics/ood_metrics.hpp>
#include <reclag/score/reclag_scorer.hpp>
#include <reclag/train/sfnn_trainer.hpp>

#include "json.hpp"
#include "shared_data.hpp"

namespace {
constexpr int kEpochs = 30;
}

TEST_CASE("SfnnTrainer on fmnist-cnn512 reaches the reference's exact objective", "[train][shared]") {
    const std::string dir = reclag_test::fmnist_dir();
    using M = reclag::RowMatrix<float>;
    const M x = reclag::load_npy<M>(dir + "/id_train_features.npy");
    REQUIRE(x.rows() == 12000);
    REQUIRE(x.cols() == 512);
    const auto curve = reclag_test::parse_json_file(dir + "/reference/training_curve.json");
    const auto& full = curve["full_exact_objective"].array;
    REQUIRE(full.size() == 101);
    const double ref_init = full[0].as_double();
    const double ref_at = full[kEpochs].as_double();

    reclag::SfnnTrainer<float>::Param p;  // defaults: N_H 250, beta 5, s 10, Adam 3e-3, batch 128
    p.estimator = reclag::SfnnEstimator::Exact;
    p.epochs = 0;  // the objective at init (same seed, hence the same initial rows as below)
    p.track_full_objective = true;
    const auto r0 = reclag::SfnnTrainer<float>(p).fit(x);
    REQUIRE(r0.full_objective.size() == 1);

    p.epochs = kEpochs;
    p.track_full_objective = false;  // a full pass per epoch would add a third to the run time
    reclag::SfnnTrainer<float> trainer(p);
    const auto r = trainer.fit(x);
    REQUIRE(r.status == reclag::TrainStatus::Completed);
    CHECK(r.init_rows == r0.init_rows);
    const double final_obj = trainer.exact_objective(x);
    std::cout << "exact objective: init " << r0.full_objective.front() << " (reference " << ref_init << "), epoch "
              << kEpochs << " " << final_obj << " (reference " << ref_at << "), " << r.seconds << " s\n";
    // At init both are means over id_train for 250 random rows and log-variances 0: same distribution.
    CHECK(std::abs(r0.full_objective.front() - ref_init) < 0.01 * std::abs(ref_init));
    CHECK(std::abs(final_obj - ref_at) < 0.01 * std::abs(ref_at));
    CHECK(r.log_var.maxCoeff() < 0.0);  // the variances shrink below their initial 1

    // The trained xi as a detector: RecLag's average FPR95 over the four OOD sets is within 2
    // points of the reference's 11-seed trimmed mean (seeds.json, 100 epochs; the reference's
    // fpr95 uses scikit-learn's dropped ROC curve, as here).
    reclag::ReclagScorer<float> rec(r.xi);
    rec.fit(reclag::FeatureView<float>(x));  // calibrates log gamma; the ranking metrics do not depend on it
    const M id_test = reclag::load_npy<M>(dir + "/id_test_features.npy");
    const reclag::Vector<float> id_scores = rec.score(reclag::FeatureView<float>(id_test));
    reclag::MetricsParam mp;
    mp.drop_intermediate = true;
    double fpr_sum = 0.0;
    const char* sets[] = {"digits", "gaussian", "letters", "uniform"};
    for (const char* name : sets) {
        const M ood = reclag::load_npy<M>(dir + "/ood_" + name + "_features.npy");
        const auto m = reclag::evaluate_ood(id_scores, rec.score(reclag::FeatureView<float>(ood)), mp);
        std::cout << "RecLag " << name << ": FPR95 " << m.fpr95 << ", AUROC " << m.auroc << "\n";
        fpr_sum += m.fpr95;
    }
    const auto seeds = reclag_test::parse_json_file(dir + "/reference/seeds.json");
    const double ref_avg = seeds["summary"]["average"]["fpr95"]["trimmed_mean"].as_double();
    std::cout << "RecLag average FPR95 " << fpr_sum / 4 << " (reference trimmed mean " << ref_avg << ")\n";
    CHECK(std::abs(fpr_sum / 4 - ref_avg) <= 0.02);
}
