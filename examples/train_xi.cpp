// train_xi: trains the RecLag interaction matrix xi on in-distribution features (SFNN, Section 5),
// calibrates log gamma on the same data at a target TPR, and saves a detector file
// (io/detector_file.hpp) that deployment code loads with reclag::load_detector<float>().
//
//   train_xi id_train_features.npy --out fmnist.reclag                      # the paper's set-up
//   train_xi F.npy --logits L.npy --labels Y.npy --preset public-code --out code.reclag
//
// stdout: the objective curve, one line per epoch ("epoch objective seconds", with a leading
// class column for per-class training) after a '#' header line, so numpy.loadtxt reads it.
// stderr: a progress bar (only when stderr is a terminal) and a summary.
// Every error ends the program with one line "train_xi: error: ..." and a non-zero status
// (2 for a bad command line, 1 for bad data or a failed write).
#include <reclag/io/detector_file.hpp>
#include <reclag/io/npy.hpp>
#include <reclag/train/sfnn_trainer.hpp>

#include "cli.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(_WIN32)
#include <io.h>
#define RECLAG_ISATTY(fd) _isatty(fd)
#else
#include <unistd.h>
#define RECLAG_ISATTY(fd) ::isatty(fd)
#endif

using Scalar = float;
using Matrix = reclag::RowMatrix<Scalar>;
using Trainer = reclag::SfnnTrainer<Scalar>;

namespace {

using reclag_examples::parse_number;
using reclag_examples::UsageError;

const char* kUsage = R"(usage: train_xi FEATURES.npy --out DETECTOR_FILE [options]

Trains the interaction matrix xi of a RecLag detector on in-distribution features (rows =
samples, float32 .npy), calibrates log gamma so that a fraction --tpr of these samples is kept
as ID (G(x) = r(x) - log gamma >= 0), and saves the detector (load it with
reclag::load_detector<float>(path)).

Data:
  FEATURES.npy        ID training features, n x D
  --logits L.npy      their logits, n x C (needed by --per-class: routing by argmax)
  --labels Y.npy      their integer labels, n (needed by --per-class: class sets are the
                      rows with label == argmax(logits) == c)
  --per-class         one xi per class instead of one global xi

Training (defaults from the preset):
  --preset P          paper (default: global xi, features scaled to norm 10, learnable
                      diagonal covariance, Monte Carlo estimator, Adam lr 3e-3, batch 128,
                      100 epochs) or public-code (the authors' code: per class, raw features,
                      fixed unit variance, exact objective, Adam lr 1e-3, batch 50, 50 epochs;
                      implies --per-class)
  --epochs N          training epochs
  --estimator E       mc (Monte Carlo, 5 samples) or exact
  --hidden N          N_H, number of memories (default 250; capped at the samples per xi)
  --beta X            inverse temperature (default 5), used for training and scoring
  --norm X            L2 norm the features are scaled to (default 10; 0 = raw features)
  --lr X              Adam learning rate
  --batch N           mini-batch size
  --seed N            random seed (default 0)
  --tpr T             fraction of the training samples kept as ID, in (0, 1] (default 0.95)

Output:
  --out FILE          the detector file (written atomically)
  --xi-npy XI.npy     also save xi as .npy (N_H x D); per class: XI_class<c>.npy for each c
  --quiet             no progress bar and no summary
  --help              this text
)";

struct Options {
    std::string features, logits, labels, out, xi_npy;
    std::string preset = "paper";
    bool per_class = false;
    bool quiet = false;
    int epochs = -1;
    std::string estimator;
    long hidden = -1;
    double beta = 5.0;
    double norm = -1;
    double lr = -1;
    long batch = -1;
    unsigned long long seed = 0;
    double tpr = 0.95;
    bool help = false;
};

long long parse_integer(const std::string& option, const std::string& text, long long lo, long long hi) {
    long long v = 0;
    try {
        std::size_t used = 0;
        v = std::stoll(text, &used);
        if (used != text.size()) throw std::invalid_argument("trailing characters");
    } catch (const std::exception&) {
        throw UsageError("option " + option + " expects an integer, got '" + text + "'");
    }
    if (v < lo || v > hi)
        throw UsageError("option " + option + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + text);
    return v;
}

Options parse_args(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw UsageError("option " + a + " needs a value");
            return argv[++i];
        };
        if (a == "--help" || a == "-h") {
            o.help = true;
            return o;
        } else if (a == "--logits") {
            o.logits = value();
        } else if (a == "--labels") {
            o.labels = value();
        } else if (a == "--per-class") {
            o.per_class = true;
        } else if (a == "--preset") {
            o.preset = value();
            if (o.preset != "paper" && o.preset != "public-code")
                throw UsageError("--preset must be paper or public-code, got '" + o.preset + "'");
        } else if (a == "--epochs") {
            o.epochs = static_cast<int>(parse_integer(a, value(), 0, 1000000));
        } else if (a == "--estimator") {
            o.estimator = value();
            if (o.estimator != "mc" && o.estimator != "exact")
                throw UsageError("--estimator must be mc or exact, got '" + o.estimator + "'");
        } else if (a == "--hidden") {
            o.hidden = static_cast<long>(parse_integer(a, value(), 1, 1000000000));
        } else if (a == "--beta") {
            o.beta = parse_number(a, value());
            if (!(o.beta > 0) || !std::isfinite(o.beta)) throw UsageError("--beta must be finite and > 0");
        } else if (a == "--norm") {
            o.norm = parse_number(a, value());
            if (!(o.norm >= 0) || !std::isfinite(o.norm)) throw UsageError("--norm must be finite and >= 0 (0 = raw features)");
        } else if (a == "--lr") {
            o.lr = parse_number(a, value());
            if (!(o.lr > 0) || !std::isfinite(o.lr)) throw UsageError("--lr must be finite and > 0");
        } else if (a == "--batch") {
            o.batch = static_cast<long>(parse_integer(a, value(), 1, 1000000000));
        } else if (a == "--seed") {
            o.seed = static_cast<unsigned long long>(parse_integer(a, value(), 0, std::numeric_limits<long long>::max()));
        } else if (a == "--tpr") {
            o.tpr = parse_number(a, value());
            if (!(o.tpr > 0 && o.tpr <= 1)) throw UsageError("--tpr must be in (0, 1], got " + std::string(argv[i]));
        } else if (a == "--out") {
            o.out = value();
        } else if (a == "--xi-npy") {
            o.xi_npy = value();
        } else if (a == "--quiet") {
            o.quiet = true;
        } else if (a.size() > 1 && a[0] == '-') {
            throw UsageError("unknown option " + a);
        } else if (o.features.empty()) {
            o.features = a;
        } else {
            throw UsageError("unexpected argument '" + a + "' (only one feature file)");
        }
    }
    if (o.features.empty()) throw UsageError("no feature file given");
    if (o.out.empty()) throw UsageError("--out DETECTOR_FILE is required");
    if (o.preset == "public-code") o.per_class = true;
    if (o.per_class && (o.logits.empty() || o.labels.empty()))
        throw UsageError("per-class training needs --logits and --labels");
    return o;
}

Trainer::Param trainer_param(const Options& o) {
    Trainer::Param p = o.preset == "public-code" ? Trainer::Param::public_code() : Trainer::Param{};
    if (o.epochs >= 0) p.epochs = o.epochs;
    if (o.estimator == "mc") p.estimator = reclag::SfnnEstimator::MonteCarlo;
    if (o.estimator == "exact") p.estimator = reclag::SfnnEstimator::Exact;
    if (o.hidden > 0) p.n_hidden = o.hidden;
    p.beta = static_cast<Scalar>(o.beta);
    if (o.norm == 0) {
        p.normalize_features = false;
    } else if (o.norm > 0) {
        p.normalize_features = true;
        p.feature_norm = static_cast<Scalar>(o.norm);
    }
    if (o.lr > 0) p.optimizer.lr = o.lr;
    if (o.batch > 0) p.batch_size = o.batch;
    p.seed = o.seed;
    p.check_param();
    return p;
}

/// "[=====>      ]  40%  class 3/10  epoch 12/50  objective -1234.5" on stderr, redrawn in place.
class ProgressBar {
public:
    ProgressBar(bool enabled, long total, int classes) : enabled_(enabled), total_(total), classes_(classes) {}
    void draw(long done, int cls, int epoch, int epochs, double objective) {
        if (!enabled_ || total_ <= 0) return;
        const int width = 30;
        const double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
        const int fill = static_cast<int>(frac * width);
        std::string bar(static_cast<std::size_t>(fill), '=');
        if (fill < width) bar += '>';
        bar.resize(width, ' ');
        std::ostringstream line;
        line << "\r\033[K[" << bar << "] " << static_cast<int>(100 * frac) << "%";
        if (classes_ > 0) line << "  class " << cls + 1 << "/" << classes_;
        line << "  epoch " << epoch << "/" << epochs << "  objective " << objective;
        std::cerr << line.str() << std::flush;
        shown_ = true;
    }
    /// An empty bar before the first epoch, so a long first epoch does not look like a hang.
    void start() {
        if (!enabled_ || total_ <= 0) return;
        std::cerr << "\r\033[K[" << std::string(30, ' ') << "] 0%  training..." << std::flush;
        shown_ = true;
    }
    /// Removes the bar so that a line on stdout (the same terminal, often) is not glued to it.
    void clear() {
        if (enabled_ && shown_) std::cerr << "\r\033[K" << std::flush;
        shown_ = false;
    }

private:
    bool enabled_;
    long total_;
    int classes_;
    bool shown_ = false;
};

std::string with_class_suffix(const std::string& path, std::size_t c) {
    const std::string::size_type slash = path.find_last_of('/');
    const std::string::size_type dot = path.find_last_of('.');
    const bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash);
    const std::string stem = has_ext ? path.substr(0, dot) : path;
    return stem + "_class" + std::to_string(c) + (has_ext ? path.substr(dot) : std::string(".npy"));
}

/// Fails before training, not after it, when an output cannot be created (missing directory).
void check_output_dir(const std::string& option, const std::string& path) {
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (dir.empty()) dir = ".";
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        throw reclag::io_error(path + ": cannot write " + option + ": directory " + dir.string() + " does not exist");
}

int run(const Options& o) {
    const Trainer::Param tp = trainer_param(o);
    check_output_dir("--out", o.out);
    if (!o.xi_npy.empty()) check_output_dir("--xi-npy", o.xi_npy);
    const Matrix x = reclag::load_npy<Matrix>(o.features);
    Matrix z;
    reclag::LabelVector y;
    if (!o.logits.empty()) z = reclag::load_npy<Matrix>(o.logits);
    if (!o.labels.empty()) y = reclag::load_npy<reclag::LabelVector>(o.labels);
    if (!o.logits.empty() && z.rows() != x.rows())
        throw reclag::io_error(o.logits + ": " + std::to_string(z.rows()) + " rows, the features have " + std::to_string(x.rows()));
    if (!o.labels.empty() && y.size() != x.rows())
        throw reclag::io_error(o.labels + ": " + std::to_string(y.size()) + " labels, the features have " + std::to_string(x.rows()) + " rows");
    if (o.per_class) {
        for (reclag::Index i = 0; i < y.size(); ++i)
            if (y(i) < 0 || y(i) >= z.cols())
                throw reclag::io_error(o.labels + ": label " + std::to_string(y(i)) + " at row " + std::to_string(i) +
                                       " is outside [0, " + std::to_string(z.cols()) + ") (the logits have " +
                                       std::to_string(z.cols()) + " columns)");
    }
    reclag::FeatureView<Scalar> split = o.logits.empty() ? reclag::FeatureView<Scalar>(x)
                                        : o.labels.empty() ? reclag::FeatureView<Scalar>(x, z)
                                                           : reclag::FeatureView<Scalar>(x, z, y);

    const int classes = o.per_class ? static_cast<int>(z.cols()) : 0;
    const bool show = !o.quiet && RECLAG_ISATTY(2);
    ProgressBar bar(show, static_cast<long>(tp.epochs) * std::max(classes, 1), classes);
    Trainer trainer(tp);
    long done = 0;
    int cls = -1;
    std::cout << (o.per_class ? "# class epoch objective seconds\n" : "# epoch objective seconds\n");
    trainer.set_epoch_callback([&](int epoch, double objective, double seconds) {
        if (epoch == 1) ++cls;  // fit_per_class trains the classes in order, each from epoch 1
        ++done;
        bar.clear();
        if (o.per_class) std::cout << cls << ' ';
        std::cout << epoch << ' ' << objective << ' ' << seconds << '\n' << std::flush;
        bar.draw(done, std::max(cls, 0), epoch, tp.epochs, objective);
        return true;
    });

    bar.start();
    reclag::DetectorExtras<Scalar> extras;
    std::vector<Matrix> xi;
    std::vector<std::string> warnings;
    if (o.per_class) {
        for (auto& r : trainer.fit_per_class(split)) {
            if (!r.ok()) warnings.push_back("class " + std::to_string(r.label) + ": " + r.message());
            xi.push_back(std::move(r.xi));
            extras.log_var.push_back(std::move(r.log_var));
        }
    } else {
        reclag::SfnnResult<Scalar> r = trainer.fit(x);
        if (!r.ok()) warnings.push_back(r.message());
        xi.push_back(std::move(r.xi));
        extras.log_var.push_back(std::move(r.log_var));
    }
    bar.clear();

    reclag::ReclagScorer<Scalar>::Param sp;
    sp.beta = tp.beta;
    sp.norm = tp.normalize_features ? tp.feature_norm : Scalar(0);
    sp.target_tpr = o.tpr;
    reclag::ReclagScorer<Scalar> scorer(sp);
    if (o.per_class) scorer.set_interaction(xi);
    else scorer.set_interaction(xi.front());
    scorer.fit(split);  // no trainer installed: only calibrates log gamma on the training data

    std::ostringstream desc;
    desc << "train_xi: features=" << o.features << " n=" << x.rows() << " D=" << x.cols() << " preset=" << o.preset
         << (o.per_class ? " per-class" : " global")
         << " estimator=" << (tp.estimator == reclag::SfnnEstimator::Exact ? "exact" : "mc") << " epochs=" << tp.epochs
         << " hidden=" << tp.n_hidden << " beta=" << tp.beta << " norm=" << sp.norm << " lr=" << tp.optimizer.lr
         << " batch=" << tp.batch_size << " seed=" << tp.seed << " tpr=" << o.tpr;
    extras.description = desc.str();
    reclag::save_detector(o.out, scorer, extras);
    if (!o.xi_npy.empty()) {
        if (o.per_class)
            for (std::size_t c = 0; c < xi.size(); ++c) reclag::save_npy(with_class_suffix(o.xi_npy, c), xi[c]);
        else
            reclag::save_npy(o.xi_npy, xi.front());
    }

    for (const std::string& w : warnings) std::cerr << "train_xi: warning: " << w << "\n";
    if (!o.quiet) {
        const reclag::Vector<Scalar> r = scorer.score(split);
        const reclag::Index kept = (r.array() >= scorer.log_gamma()).count();
        std::cerr << "train_xi: saved " << o.out << ": " << (o.per_class ? std::to_string(xi.size()) + " per-class xi" : "global xi")
                  << " (" << xi.front().rows() << " x " << xi.front().cols() << (o.per_class ? " for class 0" : "")
                  << "), beta " << sp.beta << ", norm " << sp.norm << ", log gamma " << scorer.log_gamma() << " (keeps "
                  << kept << " of " << r.size() << " training samples, target TPR " << o.tpr << ")\n";
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    return reclag_examples::run_cli(
        "train_xi",
        [&] {
            const Options o = parse_args(argc, argv);
            if (o.help) {
                std::cout << kUsage;
                return 0;
            }
            return run(o);
        },
        [] {
            if (RECLAG_ISATTY(2)) std::cerr << "\r\033[K";  // a progress bar may be on the line
        });
}
