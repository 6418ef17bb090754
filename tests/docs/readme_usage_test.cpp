// The README's usage snippet, compiled and run on small synthetic files: if the README's API
// drifts from the library's, this test stops compiling.
#include <catch2/catch.hpp>

#include <reclag/reclag.hpp>

#include <cstdio>
#include <random>
#include <string>
#include <unistd.h>

namespace {
std::string temp_path(const std::string& name) { return "/tmp/reclag_readme_" + std::to_string(::getpid()) + "_" + name; }
}  // namespace

TEST_CASE("the README usage snippet works as written", "[docs]") {
    // Two well separated classes in 4-D; the logits come from a linear head.
    std::mt19937 rng(7);
    std::normal_distribution<float> noise(0.0f, 0.3f);
    reclag::RowMatrix<float> x(40, 4), w(2, 4);
    reclag::LabelVector y(40);
    for (int i = 0; i < 40; ++i) {
        y(i) = i % 2;
        for (int j = 0; j < 4; ++j) x(i, j) = (j % 2 == i % 2 ? 2.0f : 0.0f) + noise(rng);
    }
    w << 1, -1, 1, -1, -1, 1, -1, 1;
    reclag::RowMatrix<float> z = x * w.transpose();
    reclag::RowMatrix<float> far = reclag::RowMatrix<float>::Constant(1, 4, 0.1f);  // near the origin: low energy
    reclag::RowMatrix<float> far_z = far * w.transpose();
    reclag::save_npy(temp_path("id_train_features.npy"), x);
    reclag::save_npy(temp_path("id_train_logits.npy"), z);
    reclag::save_npy(temp_path("id_train_labels.npy"), y);
    reclag::save_npy(temp_path("id_val_features.npy"), x);
    reclag::save_npy(temp_path("id_val_logits.npy"), z);
    reclag::save_npy(temp_path("test_features.npy"), far);
    reclag::save_npy(temp_path("test_logits.npy"), far_z);
    reclag::save_npy(temp_path("fc_weight.npy"), w);
    reclag::save_npy(temp_path("fc_bias.npy"), reclag::Vector<float>::Zero(2).eval());

    // --- README snippet (file names prefixed) ---
    using M = reclag::RowMatrix<float>;
    M train_x = reclag::load_npy<M>(temp_path("id_train_features.npy"));
    M train_z = reclag::load_npy<M>(temp_path("id_train_logits.npy"));
    auto train_y = reclag::load_npy<reclag::LabelVector>(temp_path("id_train_labels.npy"));
    M val_x = reclag::load_npy<M>(temp_path("id_val_features.npy")), val_z = reclag::load_npy<M>(temp_path("id_val_logits.npy"));
    M test_x = reclag::load_npy<M>(temp_path("test_features.npy")), test_z = reclag::load_npy<M>(temp_path("test_logits.npy"));

    reclag::EnergyScorer<float> energy;
    energy.fit({train_x, train_z, train_y});
    reclag::Vector<float> s = energy.score({test_x, test_z});

    const reclag::Vector<float> val_s = energy.score({val_x, val_z});
    const double t = reclag::threshold_at_tpr(val_s, 0.95);
    bool is_ood = s(0) < t;
    reclag::OodMetrics m = reclag::evaluate_ood(val_s, s);

    reclag::ClassifierHead<float> head(reclag::load_npy<M>(temp_path("fc_weight.npy")),
                                       reclag::load_npy<reclag::Vector<float>>(temp_path("fc_bias.npy")));
    reclag::ReActScorer<float> react;
    react.fit({train_x, train_z, train_y}, head);
    // --- end of snippet ---

    CHECK(is_ood);  // the near-origin sample has far lower energy than every ID sample
    CHECK(m.auroc == 1.0);
    CHECK(m.fpr95 == 0.0);
    CHECK(react.is_fitted());
    CHECK(react.score({test_x, test_z})(0) < react.score({val_x, val_z}).minCoeff());
    for (const char* f : {"id_train_features.npy", "id_train_logits.npy", "id_train_labels.npy", "id_val_features.npy",
                          "id_val_logits.npy", "test_features.npy", "test_logits.npy", "fc_weight.npy", "fc_bias.npy"})
        std::remove(temp_path(f).c_str());
}
