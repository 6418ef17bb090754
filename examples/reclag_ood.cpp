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

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
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

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

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
  --time-steps K             also print RecLag/MHE-type detection over K dynamics steps

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
};

double parse_number(const std::string& option, const std::string& text) {
    try {
        std::size_t used = 0;
        const double v = std::stod(text, &used);
        if (used != text.size()) throw std::invalid_argument("trailing characters");
        return v;
    } catch (const std::exception&) {
        throw UsageError("option " + option + " expects a number, got '" + text + "'");
    }
}

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
std::vector<reclag::OodRecord> evaluate(reclag::AnyScorer<Scalar> scorer, const Data& d) {
    if (scorer.needs_head()) scorer.fit(d.id_train.view(), *d.head);
    else if (d.head) scorer.fit(d.id_train.view(), *d.head);
    else scorer.fit(d.id_train.view());
    const reclag::Vector<Scalar> id_scores = scorer.score(d.id_test.view());
    std::vector<reclag::OodRecord> out;
    for (const auto& ood : d.oods) {
        const reclag::Vector<Scalar> ood_scores = scorer.score(ood.view());
        out.push_back(to_record(scorer.scorer_name(), ood.name, reclag::evaluate_ood(id_scores, ood_scores),
                                id_scores.size(), ood_scores.size()));
    }
    out.push_back(average_record(out));
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
            throw UsageError("unknown scorer '" + name + "' in --scorers (see --help for the list)");

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
    for (const auto& name : chosen) {
        reclag::AnyScorer<Scalar> scorer = reclag::make_scorer<Scalar>(name, so);
        if (scorer.needs_head() && !d.head)
            throw reclag::invalid_argument("scorer '" + name + "' needs the classifier head (fc_weight.npy, fc_bias.npy)");
        for (auto& r : evaluate(scorer, d)) records.push_back(std::move(r));
    }

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
    try {
        return run(argc, argv);
    } catch (const UsageError& e) {
        std::cerr << "reclag_ood: error: " << e.what() << " (see --help)\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "reclag_ood: error: " << e.what() << "\n";
        return 1;
    }
}
