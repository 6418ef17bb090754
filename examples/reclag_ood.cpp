// reclag_ood: evaluates OOD detectors on features and logits dumped from a classifier, and
// prints a table like the paper's Table 1 (FPR95, lower is better; AUROC, higher is better).
//
//   reclag_ood                       # every scorer on the bundled Fashion-MNIST data
//   reclag_ood DIR                   # a directory laid out like examples/data/
//   reclag_ood --help                # all options
//
// Every error ends the program with one line "reclag_ood: error: ..." and a non-zero status
// (2 for a bad command line, 1 for bad data).
#include <reclag/reclag.hpp>

#include "cli.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <tuple>
#include <sstream>
#include <string>
#include <vector>

#ifndef RECLAG_BUNDLED_DATA_DIR
#define RECLAG_BUNDLED_DATA_DIR "examples/data"
#endif

namespace fs = std::filesystem;
using Scalar = float;
using Matrix = reclag::RowMatrix<Scalar>;

namespace {

using reclag_examples::parse_number;
using reclag_examples::UsageError;

const char* kUsage = R"(usage: reclag_ood [DIR] [options]

Fits OOD detectors on in-distribution training features and evaluates them on ID test
features against each OOD set. Higher score = more in-distribution; ID is the positive class.

Data (default DIR: the bundled Fashion-MNIST features, )" RECLAG_BUNDLED_DATA_DIR R"():
  DIR                        directory with id_train_{features,logits,labels}.npy,
                             id_test_{features,logits,labels}.npy,
                             ood_<name>_{features,logits}.npy (one pair per OOD set),
                             fc_weight.npy (C x D) and fc_bias.npy (C) for the head
  --id-train-features PATH   and likewise --id-train-logits, --id-train-labels,
                             --id-test-features, --id-test-logits, --id-test-labels,
                             --fc-weight, --fc-bias: explicit paths (override DIR)
  --ood NAME=FEATURES,LOGITS an OOD set given by paths (repeatable; replaces DIR's sets)

Scorers and parameters:
  --scorers LIST             comma-separated names (default: every available scorer)
                             )" "%SCORERS%" R"(
  --mhe-beta X               MHE inverse temperature (default 1)
  --energy-temperature X     Energy temperature T (default 1)
  --react-percentile P       ReAct clip percentile in (0, 100] (default 90)
  --xi PATH                  score RecLag with this interaction matrix (N_H x D .npy)
  --beta X                   RecLag inverse temperature (default 5)
  --norm X                   RecLag feature norm (default 10; 0 = raw features)
  --time-steps K             also report RecLag and MHE-type detection after k = 0..K
                             Hopfield updates (Eq. 12; the paper's Figs. 4-5), as scorers
                             reclag@k and mhe@k, from the RecLag scorer's global xi
  --seeds N                  train RecLag with seeds 0..N-1 and report, like the paper's
                             Table 1, the trimmed mean and standard deviation (ddof 0; the
                             largest and smallest dropped when N >= 3)
  --save-detector PATH       save the fitted RecLag detector (seed 0) to PATH (atomically)
  --load-detector PATH       score RecLag with a saved detector instead of training one
  --quiet                    no training progress on stderr

Output:
  --format FMT               table (default), csv, json or markdown
  --output FILE              write the report to FILE (atomically) instead of stdout
  --help                     this text
)";

struct Options {
    std::string dir;
    std::map<std::string, std::string> paths;  // explicit file paths by role
    std::vector<std::tuple<std::string, std::string, std::string>> oods;  // name, features, logits
    std::vector<std::string> scorers;
    std::string format = "table";
    std::string output;
    std::string xi;
    double mhe_beta = 1.0;
    double energy_temperature = 1.0;
    double react_percentile = 90.0;
    double beta = 5.0;
    double norm = 10.0;
    int time_steps = -1;
    int seeds = 1;
    std::string save_detector;
    std::string load_detector;
    bool quiet = false;
};

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, sep))
        if (!item.empty()) out.push_back(item);
    return out;
}

Options parse_args(int argc, char** argv) {
    Options o;
    static const char* path_options[] = {"--id-train-features", "--id-train-logits", "--id-train-labels",
                                         "--id-test-features",  "--id-test-logits",  "--id-test-labels",
                                         "--fc-weight",         "--fc-bias"};
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw UsageError("option " + a + " needs a value");
            return argv[++i];
        };
        if (a == "--help" || a == "-h") {
            o.format = "help";
            return o;
        }
        bool matched = false;
        for (const char* p : path_options)
            if (a == p) {
                o.paths[a.substr(2)] = value();
                matched = true;
            }
        if (matched) continue;
        if (a == "--ood") {
            const std::string v = value();
            const auto eq = v.find('=');
            const auto parts = eq == std::string::npos ? std::vector<std::string>{} : split(v.substr(eq + 1), ',');
            if (eq == std::string::npos || eq == 0 || parts.size() != 2)
                throw UsageError("--ood expects NAME=FEATURES.npy,LOGITS.npy, got '" + v + "'");
            o.oods.emplace_back(v.substr(0, eq), parts[0], parts[1]);
        } else if (a == "--scorers") {
            o.scorers = split(value(), ',');
            if (o.scorers.empty()) throw UsageError("--scorers needs at least one name");
        } else if (a == "--format") {
            o.format = value();
            try {
                reclag::parse_report_format(o.format);
            } catch (const reclag::invalid_argument&) {
                throw UsageError("--format expects table, csv, json or markdown, got '" + o.format + "'");
            }
        } else if (a == "--output") {
            o.output = value();
        } else if (a == "--xi") {
            o.xi = value();
        } else if (a == "--mhe-beta") {
            o.mhe_beta = parse_number(a, value());
        } else if (a == "--energy-temperature") {
            o.energy_temperature = parse_number(a, value());
        } else if (a == "--react-percentile") {
            o.react_percentile = parse_number(a, value());
        } else if (a == "--beta") {
            o.beta = parse_number(a, value());
        } else if (a == "--norm") {
            o.norm = parse_number(a, value());
        } else if (a == "--seeds") {
            const double k = parse_number(a, value());
            if (k < 1 || k != static_cast<int>(k)) throw UsageError("--seeds expects a whole number >= 1");
            o.seeds = static_cast<int>(k);
        } else if (a == "--save-detector") {
            o.save_detector = value();
        } else if (a == "--load-detector") {
            o.load_detector = value();
        } else if (a == "--quiet") {
            o.quiet = true;
        } else if (a == "--time-steps") {
            const double k = parse_number(a, value());
            if (k < 0 || k != static_cast<int>(k)) throw UsageError("--time-steps expects a whole number >= 0");
            o.time_steps = static_cast<int>(k);
        } else if (!a.empty() && a[0] == '-') {
            throw UsageError("unknown option '" + a + "' (see --help)");
        } else if (o.dir.empty()) {
            o.dir = a;
        } else {
            throw UsageError("unexpected argument '" + a + "' (only one data directory)");
        }
    }
    return o;
}

/// A split loaded from .npy files (owning), viewed as a reclag::FeatureView.
struct Split {
    std::string name;
    Matrix features;
    Matrix logits;
    reclag::LabelVector labels;
    reclag::FeatureView<Scalar> view() const {
        if (labels.size() > 0) return {features, logits, labels};
        if (logits.size() > 0) return {features, logits};
        return reclag::FeatureView<Scalar>(features);
    }
};

std::string require_file(const std::string& path, const std::string& role) {
    if (!fs::exists(path)) throw reclag::io_error(role + " file not found: " + path);
    return path;
}

void check_split_shapes(const Split& s, reclag::Index dim, reclag::Index classes) {
    if (s.features.cols() != dim)
        throw reclag::invalid_argument(s.name + "_features has " + std::to_string(s.features.cols()) +
                                       " columns, expected " + std::to_string(dim) + " (as id_train_features)");
    if (s.logits.rows() != s.features.rows())
        throw reclag::invalid_argument(s.name + "_logits has " + std::to_string(s.logits.rows()) + " rows, but " +
                                       s.name + "_features has " + std::to_string(s.features.rows()));
    if (s.logits.cols() != classes)
        throw reclag::invalid_argument(s.name + "_logits has " + std::to_string(s.logits.cols()) +
                                       " columns, expected " + std::to_string(classes) + " (as id_train_logits)");
    if (s.labels.size() != 0 && s.labels.size() != s.features.rows())
        throw reclag::invalid_argument(s.name + "_labels has " + std::to_string(s.labels.size()) + " entries, but " +
                                       s.name + "_features has " + std::to_string(s.features.rows()) + " rows");
}

struct Data {
    Split id_train, id_test;
    std::vector<Split> oods;
    std::optional<reclag::ClassifierHead<Scalar>> head;
};

Data load_data(const Options& o) {
    const std::string dir = o.dir.empty() ? std::string(RECLAG_BUNDLED_DATA_DIR) : o.dir;
    if (!o.dir.empty() && !fs::is_directory(dir)) throw reclag::io_error("data directory not found: " + dir);
    auto path_of = [&](const std::string& role) {
        auto it = o.paths.find(role);
        std::string file = role;
        std::replace(file.begin(), file.end(), '-', '_');
        return it != o.paths.end() ? it->second : (fs::path(dir) / (file + ".npy")).string();
    };
    Data d;
    auto load_split = [&](const std::string& name, bool labels) {
        Split s;
        s.name = name;
        s.features = reclag::load_npy<Matrix>(require_file(path_of(name + "-features"), name + " features"));
        s.logits = reclag::load_npy<Matrix>(require_file(path_of(name + "-logits"), name + " logits"));
        if (labels) s.labels = reclag::load_npy<reclag::LabelVector>(require_file(path_of(name + "-labels"), name + " labels"));
        return s;
    };
    d.id_train = load_split("id-train", true);
    d.id_train.name = "id_train";
    d.id_test = load_split("id-test", true);
    d.id_test.name = "id_test";

    if (!o.oods.empty()) {
        for (const auto& [name, feat, logit] : o.oods) {
            Split s;
            s.name = name;
            s.features = reclag::load_npy<Matrix>(require_file(feat, "OOD '" + name + "' features"));
            s.logits = reclag::load_npy<Matrix>(require_file(logit, "OOD '" + name + "' logits"));
            d.oods.push_back(std::move(s));
        }
    } else {
        std::vector<std::string> names;
        if (fs::is_directory(dir))
            for (const auto& entry : fs::directory_iterator(dir)) {
                const std::string f = entry.path().filename().string();
                const std::string prefix = "ood_", suffix = "_features.npy";
                if (f.size() > prefix.size() + suffix.size() && f.compare(0, prefix.size(), prefix) == 0 &&
                    f.compare(f.size() - suffix.size(), suffix.size(), suffix) == 0)
                    names.push_back(f.substr(prefix.size(), f.size() - prefix.size() - suffix.size()));
            }
        std::sort(names.begin(), names.end());
        for (const auto& name : names) {
            Split s;
            s.name = name;
            s.features = reclag::load_npy<Matrix>((fs::path(dir) / ("ood_" + name + "_features.npy")).string());
            s.logits = reclag::load_npy<Matrix>(
                require_file((fs::path(dir) / ("ood_" + name + "_logits.npy")).string(), "OOD '" + name + "' logits"));
            d.oods.push_back(std::move(s));
        }
    }
    if (d.oods.empty()) throw reclag::io_error("no OOD set found (expected ood_<name>_features.npy in " + dir + ")");

    const auto dim = d.id_train.features.cols();
    const auto classes = d.id_train.logits.cols();
    check_split_shapes(d.id_train, dim, classes);
    check_split_shapes(d.id_test, dim, classes);
    for (const auto& s : d.oods) check_split_shapes(s, dim, classes);

    const std::string w = path_of("fc-weight"), b = path_of("fc-bias");
    const bool explicit_head = o.paths.count("fc-weight") || o.paths.count("fc-bias");
    if (fs::exists(w) || fs::exists(b) || explicit_head) {
        Matrix weight = reclag::load_npy<Matrix>(require_file(w, "head weight"));
        reclag::Vector<Scalar> bias = reclag::load_npy<reclag::Vector<Scalar>>(require_file(b, "head bias"));
        if (weight.cols() != dim || weight.rows() != classes)
            throw reclag::invalid_argument("fc_weight has shape " + std::to_string(weight.rows()) + "x" +
                                           std::to_string(weight.cols()) + ", expected " + std::to_string(classes) +
                                           "x" + std::to_string(dim));
        d.head.emplace(weight, bias);
    }
    return d;
}

reclag::OodRecord to_record(const std::string& scorer, const std::string& ood, const reclag::OodMetrics& m,
                            long long n_id, long long n_ood) {
    reclag::OodRecord r;
    r.scorer = scorer;
    r.ood = ood;
    r.fpr95 = m.fpr95;
    r.auroc = m.auroc;
    r.aupr_in = m.aupr_in;
    r.aupr_out = m.aupr_out;
    r.n_id = n_id;
    r.n_ood = n_ood;
    return r;
}

reclag::OodRecord average_record(const std::vector<reclag::OodRecord>& per_ood) {
    reclag::OodRecord avg = per_ood.front();
    avg.ood = "average";
    avg.fpr95 = avg.auroc = avg.aupr_in = avg.aupr_out = 0.0;
    avg.n_ood = 0;
    for (const auto& r : per_ood) {
        avg.fpr95 += r.fpr95 / per_ood.size();
        avg.auroc += r.auroc / per_ood.size();
        avg.aupr_in += r.aupr_in / per_ood.size();
        avg.aupr_out += r.aupr_out / per_ood.size();
        avg.n_ood += r.n_ood;
    }
    return avg;
}

/// Fits one scorer and evaluates it on every OOD set: one record per set plus the average.
/// `name` is the registry name ("reclag_code" and "reclag" share one scorer class).
std::vector<reclag::OodRecord> evaluate(const std::string& name, reclag::AnyScorer<Scalar>& scorer, const Data& d) {
    if (!scorer.is_fitted()) {  // a detector loaded from a file is fitted already
        if (d.head) scorer.fit(d.id_train.view(), *d.head);
        else scorer.fit(d.id_train.view());
    }
    const reclag::Vector<Scalar> id_scores = scorer.score(d.id_test.view());
    std::vector<reclag::OodRecord> out;
    for (const auto& ood : d.oods) {
        const reclag::Vector<Scalar> ood_scores = scorer.score(ood.view());
        out.push_back(to_record(name, ood.name, reclag::evaluate_ood(id_scores, ood_scores),
                                id_scores.size(), ood_scores.size()));
    }
    out.push_back(average_record(out));
    return out;
}

/// The paper's Table 1 summary over seeds: drop the largest and the smallest value (when there
/// are at least 3), then mean and standard deviation (ddof 0) of the rest.
std::pair<double, double> trimmed_mean_std(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    if (v.size() >= 3) v = std::vector<double>(v.begin() + 1, v.end() - 1);
    double mean = 0.0, var = 0.0;
    for (double x : v) mean += x / static_cast<double>(v.size());
    for (double x : v) var += (x - mean) * (x - mean) / static_cast<double>(v.size());
    return {mean, std::sqrt(var)};
}

/// Combines per-seed records (same scorer, same OOD order in each run) into one record per OOD set.
std::vector<reclag::OodRecord> summarise_seeds(const std::vector<std::vector<reclag::OodRecord>>& runs) {
    std::vector<reclag::OodRecord> out = runs.front();
    for (std::size_t j = 0; j < out.size(); ++j) {
        std::vector<double> fpr, auroc, aupr_in, aupr_out;
        for (const auto& run : runs) {
            fpr.push_back(run[j].fpr95);
            auroc.push_back(run[j].auroc);
            aupr_in.push_back(run[j].aupr_in);
            aupr_out.push_back(run[j].aupr_out);
        }
        std::tie(out[j].fpr95, out[j].fpr95_std) = trimmed_mean_std(fpr);
        std::tie(out[j].auroc, out[j].auroc_std) = trimmed_mean_std(auroc);
        out[j].aupr_in = trimmed_mean_std(aupr_in).first;
        out[j].aupr_out = trimmed_mean_std(aupr_out).first;
        out[j].seeds = static_cast<int>(runs.size());
    }
    return out;
}

/// Detection after k = 0..K Hopfield updates from the RecLag scorer's global xi (Figs. 4-5).
std::vector<reclag::OodRecord> evaluate_over_time(const reclag::ReclagScorer<Scalar>& rec, const Data& d, int steps,
                                                  double mhe_beta) {
    const auto& det = rec.detector();
    if (det.per_class())
        throw reclag::invalid_argument("--time-steps needs a RecLag detector with one global xi (not per class)");
    reclag::ScoresOverTimeParam<Scalar> p;
    p.steps = steps;
    p.beta = rec.param().beta;
    p.norm = rec.param().norm;
    p.log_gamma = rec.log_gamma();
    p.mhe_beta = static_cast<Scalar>(mhe_beta);
    const auto& xi = det.interaction().front();
    const auto id = reclag::scores_over_time(d.id_test.features, xi, p);
    std::vector<reclag::ScoresOverTime<Scalar>> oods;
    for (const auto& ood : d.oods) oods.push_back(reclag::scores_over_time(ood.features, xi, p));
    std::vector<reclag::OodRecord> out;
    for (int k = 0; k <= steps; ++k) {
        for (int which = 0; which < 2; ++which) {
            const std::string name = std::string(which == 0 ? "reclag@" : "mhe@") + std::to_string(k);
            std::vector<reclag::OodRecord> per_ood;
            const auto& id_m = which == 0 ? id.reclag : id.mhe;
            for (std::size_t j = 0; j < d.oods.size(); ++j) {
                const auto& ood_m = which == 0 ? oods[j].reclag : oods[j].mhe;
                const reclag::Vector<Scalar> id_s = id_m.row(k).transpose(), ood_s = ood_m.row(k).transpose();
                per_ood.push_back(to_record(name, d.oods[j].name, reclag::evaluate_ood(id_s, ood_s), id_s.size(),
                                            ood_s.size()));
            }
            per_ood.push_back(average_record(per_ood));
            for (auto& r : per_ood) out.push_back(std::move(r));
        }
    }
    return out;
}

double accuracy(const Split& s) {
    const reclag::LabelVector pred = reclag::predicted_classes(s.logits);
    return static_cast<double>((pred.array() == s.labels.array()).count()) / static_cast<double>(s.labels.size());
}

int run(int argc, char** argv) {
    const Options o = parse_args(argc, argv);
    const auto registry = reclag::scorer_names();
    if (o.format == "help") {
        std::string usage = kUsage, names;
        for (const auto& n : registry) names += (names.empty() ? "" : ", ") + n;
        usage.replace(usage.find("%SCORERS%"), 9, "available: " + names);
        std::cout << usage;
        return 0;
    }
    for (const auto& name : o.scorers)
        if (std::find(registry.begin(), registry.end(), name) == registry.end())
            throw UsageError("unknown scorer '" + name + "' in --scorers");

    const Data d = load_data(o);
    reclag::ScorerOptions<Scalar> so;
    so.mhe.beta = o.mhe_beta;
    so.energy.temperature = o.energy_temperature;
    so.react.percentile = o.react_percentile;
    so.reclag.beta = static_cast<Scalar>(o.beta);
    so.reclag.norm = static_cast<Scalar>(o.norm);
    if (!o.xi.empty()) so.reclag_xi = reclag::load_npy<Matrix>(require_file(o.xi, "--xi"));

    // Default: every registered scorer this data supports (those needing a head only with one).
    std::vector<std::string> chosen = o.scorers;
    if (chosen.empty())
        for (const auto& name : registry)
            if (d.head || !reclag::make_scorer<Scalar>(name, so).needs_head()) chosen.push_back(name);

    std::vector<reclag::OodRecord> records;
    std::vector<reclag::OodRecord> over_time;
    bool saved = false;
    for (const auto& name : chosen) {
        const bool trained_reclag = (name == "reclag" && !so.reclag_xi && o.load_detector.empty()) || name == "reclag_code";
        const int runs = trained_reclag ? o.seeds : 1;
        std::vector<std::vector<reclag::OodRecord>> per_seed;
        for (int seed = 0; seed < runs; ++seed) {
            reclag::ScorerOptions<Scalar> seeded = so;
            seeded.reclag_training.seed = static_cast<std::uint64_t>(seed);
            seeded.reclag_code_training.seed = static_cast<std::uint64_t>(seed);
            reclag::AnyScorer<Scalar> scorer = name == "reclag" && !o.load_detector.empty()
                                                   ? reclag::AnyScorer<Scalar>(reclag::load_detector<Scalar>(o.load_detector))
                                                   : reclag::make_scorer<Scalar>(name, seeded);
            if (scorer.needs_head() && !d.head)
                throw reclag::invalid_argument("scorer '" + name + "' needs the classifier head (fc_weight.npy, fc_bias.npy)");
            if (!o.quiet && trained_reclag)
                std::cerr << "reclag_ood: training " << name << (runs > 1 ? " (seed " + std::to_string(seed) + ")" : "")
                          << " on " << d.id_train.features.rows() << " x " << d.id_train.features.cols()
                          << " ID features...\n";
            per_seed.push_back(evaluate(name, scorer, d));
            const auto* rec = scorer.template target<reclag::ReclagScorer<Scalar>>();
            if (rec && seed == 0) {
                if (!o.save_detector.empty() && !saved) {
                    reclag::save_detector(o.save_detector, *rec);
                    saved = true;
                    if (!o.quiet) std::cerr << "reclag_ood: saved the " << name << " detector to " << o.save_detector << "\n";
                }
                if (o.time_steps >= 0 && name == "reclag") over_time = evaluate_over_time(*rec, d, o.time_steps, o.mhe_beta);
            }
        }
        for (auto& r : per_seed.size() > 1 ? summarise_seeds(per_seed) : per_seed.front()) records.push_back(std::move(r));
    }
    if (!o.save_detector.empty() && !saved)
        throw reclag::invalid_argument("--save-detector: no RecLag scorer was run (add reclag to --scorers)");
    if (o.time_steps >= 0 && over_time.empty())
        throw reclag::invalid_argument("--time-steps: the reclag scorer was not run (add reclag to --scorers)");
    for (auto& r : over_time) records.push_back(std::move(r));

    std::ostringstream report;
    reclag::write_report(report, records, reclag::parse_report_format(o.format));
    if (o.format == "table" || o.format == "markdown") {
        report << "\nID: " << d.id_test.features.rows() << " test samples, classifier accuracy "
               << reclag::detail::percent(accuracy(d.id_test)) << "%; cells are FPR95 (lower is better) / "
               << "AUROC (higher is better), in %, ID = positive class.\n";
    }
    if (o.output.empty()) {
        std::cout << report.str();
    } else {
        const std::string text = report.str();
        reclag::write_stream_atomically(o.output, [&](std::ostream& os) { os << text; });
        std::cerr << "reclag_ood: wrote " << o.output << "\n";
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    return reclag_examples::run_cli("reclag_ood", [&] { return run(argc, argv); });
}
