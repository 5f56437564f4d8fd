#include "harness/config/experiment_config.h"

#include <cmath>
#include <cstdlib>
#include <thread>

#include "core/blas_core.h"
#include "core/config_family.h"
#include "core/process.h"
#include "core/strings.h"
#include "metabench/algorithm.h"
#include "metabench/backbone.h"
#include "metabench/dataset.h"
#include "metabench/errors.h"
#include "metabench/sha256.h"

namespace metabench {

Schema core_schema() {
  Schema s;
  s.add_string("name", "", "free-text label for the run").not_hashed();
  s.add_string("algorithm", "protonet", "registered algorithm name (metabench list algorithms)");
  s.add_string("dataset", "synthetic-glyphs", "registered dataset name (metabench list datasets)");
  s.add_string("backbone", "conv4", "registered backbone name (metabench list backbones)");
  s.add_int("seed", 1, "run seed: weight initialisation and training episodes").min(0);
  s.add_int("episode.ways", 5, "classes per validation/test episode").min(1).max(1000);
  s.add_int("episode.shots", 1, "support examples per class (regression: support points)")
      .min(1)
      .max(10000);
  s.add_int("episode.queries", 15, "query examples per class (regression: query points)")
      .min(1)
      .max(10000);
  s.add_int("episode.train_ways", 0, "classes per training episode; 0 = episode.ways")
      .min(0)
      .max(1000);
  s.add_int("episode.train_shots", 0, "support examples per class in training; 0 = episode.shots")
      .min(0)
      .max(10000);
  s.add_int("episode.train_queries", 0, "queries per class in training; 0 = episode.queries")
      .min(0)
      .max(10000);
  s.add_int("model.width", 64, "conv4: channels per block").min(1).max(4096);
  s.add_int_list("model.hidden", {40, 40}, "mlp: hidden layer sizes").min(1).max(1 << 20);
  s.add_float("optim.meta_lr", 1e-3, "outer-loop (meta) learning rate, Adam").min(0, true).max(10);
  s.add_float("optim.inner_lr", 0.4, "inner-loop SGD step size (gradient-based methods)")
      .min(0)
      .max(100);
  s.add_int("optim.inner_steps", 1, "inner-loop steps during meta-training").min(0).max(1000);
  s.add_int("optim.inner_steps_test", 3, "inner-loop steps at validation and test")
      .min(0)
      .max(1000);
  s.add_int("optim.meta_batch", 4, "tasks (episodes) per meta-iteration").min(1).max(100000);
  s.add_int("optim.iterations", 1000, "meta-iterations").min(1).max(1e9);
  // Training augmentation (datasets/augment.h): added after results were
  // recorded, so omitted from the hash while off.
  s.add_int("augment.crop_padding", 0,
            "training images: random crop of the original size after zero-padding by this many "
            "pixels; 0 = off")
      .min(0)
      .max(256)
      .omitted_at_default();
  s.add_bool("augment.flip", false, "training images: horizontal flip with probability 1/2")
      .omitted_at_default();
  s.add_float("augment.color_jitter", 0.0,
              "training colour images: brightness, contrast and saturation each scaled by a "
              "factor in [1 - j, 1 + j]; 0 = off")
      .min(0)
      .max(1)
      .omitted_at_default();
  s.add_int("eval.test_episodes", 600, "fixed test episodes for the final evaluation")
      .min(1)
      .max(1e7);
  s.add_int("eval.val_episodes", 100, "fixed validation episodes for model selection")
      .min(1)
      .max(1e7);
  s.add_int("eval.val_interval", 100, "meta-iterations between validations; 0 = only at the end")
      .min(0);
  s.add_int("eval.log_interval", 10, "meta-iterations between training-curve points").min(1);
  s.add_int("eval.seed", 20170306, "seed of the validation/test episodes, shared by all runs")
      .min(0);
  s.add_int("runtime.threads", 0,
            "intra-op CPU threads; 0 = the CPUs this process may use (affinity, cgroup quota, "
            "SLURM_CPUS_PER_TASK; OMP_NUM_THREADS wins when set)")
      .min(0)
      .max(4096)
      .not_hashed();
  s.add_string("runtime.device", "cpu",
               "device to train on: cpu, cuda (the current GPU) or cuda:N (GPU N)")
      .not_hashed();
  s.add_bool("runtime.progress", true, "progress bar on stderr when it is a terminal").not_hashed();
  s.add_string("runtime.checkpoint_dir", "",
               "where best-on-validation checkpoints go; empty = DB.checkpoints/ beside the "
               "database DB.sqlite")
      .not_hashed();
  s.add_float("runtime.snapshot_minutes", 5.0,
              "minutes between training snapshots (a run resumes from its last one: "
              "metabench run --resume, or the sweep again); 0 = only on SIGINT/SIGTERM and at "
              "the end of training")
      .min(0)
      .not_hashed();
  s.add_int("runtime.eval_batch", 0,
            "validation and test episodes an algorithm adapts together (same results); 0 = "
            "automatic (up to 64, fewer for large inputs), 1 = one at a time, so adapt_ms is "
            "one episode's latency rather than a batch's time per episode")
      .min(0)
      .max(kEpisodesPerEvaluateCall)
      .not_hashed();
  s.add_string("runtime.blas_coretype", "auto",
               "OpenBLAS kernels (OPENBLAS_CORETYPE): auto = OPENBLAS_CORETYPE when set, else "
               "the CPU's matching core when OpenBLAS fell back to a pre-AVX2 one; default = "
               "OpenBLAS's own detection; or a core name")
      .choices(blas_coretype_choices())
      .not_hashed();
  s.add_bool("runtime.keep_snapshots", false,
             "keep a completed run's last snapshot (removed by default)")
      .not_hashed();
  s.add_string("data.root", "", "dataset root; empty = $METABENCH_DATA, else ./data").not_hashed();
  return s;
}

namespace {

// core_schema() with the algorithm's defaults and the entries' own keys.
Schema schema_of(const AlgorithmInfo& algorithm, const DatasetInfo& dataset,
                 const BackboneInfo& backbone) {
  Schema schema = core_schema();
  // The schema describes a config of these entries, so their names are the
  // defaults (what `list options --algorithm x` shows; a config that names
  // them resolves to the same values either way).
  schema.set_default("algorithm", ConfigValue(algorithm.name));
  schema.set_default("dataset", ConfigValue(dataset.name));
  schema.set_default("backbone", ConfigValue(backbone.name));
  for (const auto& [path, value] : algorithm.defaults) {
    if (!schema.set_default(path, value)) {
      throw InternalError("algorithm '" + algorithm.name + "' overrides the default of '" + path +
                          "', which is not a shared key of that type");
    }
  }
  schema.merge(algorithm.options, "algo");
  schema.merge(dataset.options, "data");
  schema.merge(backbone.options, "model");
  return schema;
}

}  // namespace

Schema experiment_schema(const std::string& algorithm, const std::string& dataset,
                         const std::string& backbone) {
  return schema_of(AlgorithmRegistry::instance().get(algorithm),
                   DatasetRegistry::instance().get(dataset),
                   BackboneRegistry::instance().get(backbone));
}

namespace {

std::string describe_node(const YAML::Node& node) {
  if (node.IsScalar()) return "'" + node.Scalar() + "'";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a map";
  return "nothing";
}

[[noreturn]] void fail(const RawEntry& entry, const FieldSpec& spec) {
  throw ConfigError(entry.origin + ": key '" + spec.path + "': expected " + spec.expectation() +
                    ", got " + describe_node(entry.node));
}

bool in_range(double v, const FieldSpec& spec) {
  if (spec.min_exclusive ? !(v > spec.min) : !(v >= spec.min)) return false;
  return v <= spec.max;
}

int64_t parse_int(const YAML::Node& node, bool* ok) {
  int64_t v = 0;
  *ok = node.IsScalar() && YAML::convert<int64_t>::decode(node, v);
  return v;
}

ConfigValue convert(const RawEntry& entry, const FieldSpec& spec) {
  const YAML::Node& node = entry.node;
  bool ok = false;
  switch (spec.type) {
    case FieldType::kInt: {
      const int64_t v = parse_int(node, &ok);
      if (!ok || !in_range(static_cast<double>(v), spec)) fail(entry, spec);
      return v;
    }
    case FieldType::kFloat: {
      double v = 0;
      ok = node.IsScalar() && YAML::convert<double>::decode(node, v) && std::isfinite(v);
      if (!ok || !in_range(v, spec)) fail(entry, spec);
      return v;
    }
    case FieldType::kBool: {
      bool v = false;
      if (!node.IsScalar() || !YAML::convert<bool>::decode(node, v)) fail(entry, spec);
      return v;
    }
    case FieldType::kString: {
      if (!node.IsScalar()) fail(entry, spec);
      const std::string v = node.Scalar();
      if (!spec.choices.empty()) {
        bool known = false;
        for (const auto& c : spec.choices) known = known || c == v;
        if (!known) {
          throw ConfigError(entry.origin + ": key '" + spec.path + "': expected " +
                            spec.expectation() + ", got '" + v + "'" +
                            did_you_mean(v, spec.choices));
        }
      }
      return v;
    }
    case FieldType::kIntList: {
      if (!node.IsSequence()) fail(entry, spec);
      std::vector<int64_t> v;
      for (const auto& item : node) {
        const int64_t x = parse_int(item, &ok);
        if (!ok || !in_range(static_cast<double>(x), spec)) fail(entry, spec);
        v.push_back(x);
      }
      return v;
    }
  }
  throw InternalError("unhandled field type");
}

std::string raw_string(const RawConfig& raw, const std::string& key, const std::string& fallback) {
  const RawEntry* entry = raw.find(key);
  if (!entry) return fallback;
  if (!entry->node.IsScalar()) {
    throw ConfigError(entry->origin + ": key '" + key + "': expected a name, got " +
                      describe_node(entry->node));
  }
  return entry->node.Scalar();
}

// Reports an unknown key with the most helpful message we can give.
[[noreturn]] void unknown_key(const std::string& path, const RawEntry& entry, const Schema& schema,
                              const std::string& algorithm, const std::string& dataset) {
  std::vector<std::string> children;
  for (const auto& p : schema.paths()) {
    if (starts_with(p, path + ".")) children.push_back(p);
  }
  if (!children.empty()) {
    throw ConfigError(entry.origin + ": '" + path + "' is a section; expected a map with keys " +
                      join(children, ", "));
  }
  std::string scope;
  if (starts_with(path, "algo.")) scope = " for algorithm '" + algorithm + "'";
  if (starts_with(path, "data.")) scope = " for dataset '" + dataset + "'";
  throw ConfigError(entry.origin + ": unknown key '" + path + "'" + scope +
                    did_you_mean(path, schema.paths()) +
                    "; see configs/README.md or `metabench list options`");
}

void insert_yaml(YAML::Node& root, const std::string& path, const ConfigValue& value) {
  const std::vector<std::string> parts = split(path, '.');
  std::vector<YAML::Node> chain{root};
  for (size_t i = 0; i + 1 < parts.size(); ++i) chain.push_back(chain.back()[parts[i]]);
  YAML::Node leaf = chain.back()[parts.back()];
  if (const auto* list = std::get_if<std::vector<int64_t>>(&value)) {
    leaf.SetStyle(YAML::EmitterStyle::Flow);
    for (int64_t x : *list) leaf.push_back(x);
  } else if (const auto* text = std::get_if<std::string>(&value)) {
    leaf = *text;
  } else {
    leaf = YAML::Load(value_to_string(value));
  }
}

EpisodeShape shape_or(int64_t ways, int64_t shots, int64_t queries, const EpisodeShape& base) {
  return EpisodeShape{ways ? ways : base.ways, shots ? shots : base.shots,
                      queries ? queries : base.queries};
}

// runtime.device: "cpu", "cuda" or "cuda:N".
bool valid_device_name(const std::string& name) {
  if (name == "cpu" || name == "cuda") return true;
  if (name.rfind("cuda:", 0) != 0 || name.size() == 5 || name.size() > 8) return false;
  for (size_t i = 5; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
  }
  return true;
}

}  // namespace

ExperimentConfig resolve_experiment(const RawConfig& raw) {
  const Schema core = core_schema();
  const std::string algorithm = raw_string(raw, "algorithm", "protonet");
  const std::string dataset = raw_string(raw, "dataset", "synthetic-glyphs");
  const std::string backbone = raw_string(raw, "backbone", "conv4");
  auto origin_of = [&](const std::string& key) {
    const RawEntry* e = raw.find(key);
    return e ? e->origin + ": " : std::string();
  };
  const AlgorithmInfo* algo = &AlgorithmRegistry::instance().get(algorithm, origin_of("algorithm"));
  const DatasetInfo* data = &DatasetRegistry::instance().get(dataset, origin_of("dataset"));
  const BackboneInfo* net = &BackboneRegistry::instance().get(backbone, origin_of("backbone"));
  const Schema schema = schema_of(*algo, *data, *net);

  ExperimentConfig cfg;
  for (const auto& [path, entry] : raw.entries()) {
    const FieldSpec* spec = schema.find(path);
    if (!spec) unknown_key(path, entry, schema, algorithm, dataset);
    cfg.values.set(path, convert(entry, *spec));
  }
  for (const auto& spec : schema.fields()) {
    if (!cfg.values.has(spec.path)) cfg.values.set(spec.path, spec.default_value);
  }

  const ConfigValues& v = cfg.values;
  cfg.name = v.get_string("name");
  cfg.algorithm = algorithm;
  cfg.dataset = dataset;
  cfg.backbone = backbone;
  cfg.seed = v.get_int("seed");
  cfg.test_shape = {v.get_int("episode.ways"), v.get_int("episode.shots"),
                    v.get_int("episode.queries")};
  cfg.train_shape = shape_or(v.get_int("episode.train_ways"), v.get_int("episode.train_shots"),
                             v.get_int("episode.train_queries"), cfg.test_shape);
  cfg.meta_lr = v.get_float("optim.meta_lr");
  cfg.inner_lr = v.get_float("optim.inner_lr");
  cfg.inner_steps = v.get_int("optim.inner_steps");
  cfg.inner_steps_test = v.get_int("optim.inner_steps_test");
  cfg.meta_batch = v.get_int("optim.meta_batch");
  cfg.iterations = v.get_int("optim.iterations");
  cfg.augment.crop_padding = v.get_int("augment.crop_padding");
  cfg.augment.flip = v.get_bool("augment.flip");
  cfg.augment.color_jitter = v.get_float("augment.color_jitter");
  cfg.model_width = v.get_int("model.width");
  cfg.model_hidden = v.get_int_list("model.hidden");
  cfg.test_episodes = v.get_int("eval.test_episodes");
  cfg.val_episodes = v.get_int("eval.val_episodes");
  cfg.val_interval = v.get_int("eval.val_interval");
  cfg.log_interval = v.get_int("eval.log_interval");
  cfg.eval_seed = static_cast<uint64_t>(v.get_int("eval.seed"));
  const int64_t threads = v.get_int("runtime.threads");
  cfg.threads = threads > 0 ? static_cast<int>(threads) : usable_cpus();
  cfg.device = v.get_string("runtime.device");
  if (!valid_device_name(cfg.device)) {
    const RawEntry* entry = raw.find("runtime.device");
    throw ConfigError((entry ? entry->origin + ": " : std::string()) +
                      "key 'runtime.device': expected cpu, cuda or cuda:N (N a GPU index), got '" +
                      cfg.device + "'" + did_you_mean(cfg.device, {"cpu", "cuda"}));
  }
  cfg.progress = v.get_bool("runtime.progress");
  cfg.checkpoint_dir = v.get_string("runtime.checkpoint_dir");
  cfg.snapshot_minutes = v.get_float("runtime.snapshot_minutes");
  cfg.eval_batch = v.get_int("runtime.eval_batch");
  cfg.blas_coretype = v.get_string("runtime.blas_coretype");
  cfg.keep_snapshots = v.get_bool("runtime.keep_snapshots");
  cfg.data_root = v.get_string("data.root");
  if (cfg.data_root.empty()) cfg.data_root = default_data_root();

  // Cross-key checks.
  if (data->kind == TaskKind::kRegression && !algo->supports_regression) {
    throw ConfigError(origin_of("algorithm") + "algorithm '" + algorithm +
                      "' does not support regression, but dataset '" + dataset +
                      "' is a regression dataset; choose a gradient-based algorithm such as maml");
  }
  if (data->kind == TaskKind::kClassification && !algo->supports_classification) {
    throw ConfigError(origin_of("algorithm") + "algorithm '" + algorithm +
                      "' does not support classification dataset '" + dataset + "'");
  }
  const bool images = data->kind == TaskKind::kClassification;
  if ((images && !net->accepts_images) || (!images && !net->accepts_vectors)) {
    throw ConfigError(origin_of("backbone") + "backbone '" + backbone + "' does not accept " +
                      (images ? "image" : "vector") + " inputs of dataset '" + dataset + "'");
  }
  if (cfg.augment.enabled() && !images) {
    // Names the first key that turns it on.
    for (const char* key : {"augment.crop_padding", "augment.flip", "augment.color_jitter"}) {
      const ConfigValue& value = v.all().at(key);
      const ConfigValue& off = schema.find(key)->default_value;
      if (value == off) continue;
      throw ConfigError(origin_of(key) + "key '" + key +
                        "': augment.* applies to image datasets; dataset '" + dataset +
                        "' has vector inputs: expected " + key + "=" + value_to_string(off) +
                        ", got " + value_to_string(value));
    }
  }
  if (algo->validate) {
    try {
      algo->validate(cfg, cfg.scope("algo"));
    } catch (const ConfigError& e) {
      throw ConfigError(origin_of("algorithm") + "algorithm '" + algorithm + "': " + e.what());
    }
  }

  YAML::Node root(YAML::NodeType::Map);
  std::string canonical;
  for (const auto& spec : schema.fields()) {
    const ConfigValue& value = cfg.values.all().at(spec.path);
    if (spec.omitted_at_default && value == spec.default_value) continue;
    insert_yaml(root, spec.path, value);
    if (spec.affects_results) canonical += spec.path + "=" + value_to_string(value) + "\n";
  }
  YAML::Emitter out;
  out << root;
  cfg.yaml = std::string(out.c_str()) + "\n";
  cfg.hash = sha256_hex(canonical);
  // From the emitted YAML rather than `root`, exactly as the schema
  // migration computes it from a stored config.
  cfg.family = config_family(RawConfig::from_node(YAML::Load(cfg.yaml), "resolved config"),
                             [&](const std::string& key) {
                               const FieldSpec* spec = schema.find(key);
                               return spec && !spec->affects_results;
                             });
  return cfg;
}

std::string default_data_root() {
  const char* env = std::getenv("METABENCH_DATA");
  return env && *env ? env : "data";
}

ExperimentConfig resolve_assignments(const std::vector<std::string>& assignments) {
  RawConfig raw;
  for (const auto& a : assignments) raw.apply_set(a);
  return resolve_experiment(raw);
}

}  // namespace metabench
