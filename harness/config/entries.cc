// Creating the registered entries a resolved config names, each from its
// own scope of the config.
#include "core/code_identity.h"
#include "harness/config/experiment_config.h"

namespace metabench {

std::unique_ptr<Dataset> create_dataset(const ExperimentConfig& cfg) {
  const DatasetInfo& info = DatasetRegistry::instance().get(cfg.dataset);
  return info.create(DataContext{cfg.dataset, cfg.data_root, cfg.scope("data")});
}

std::unique_ptr<Backbone> create_backbone(const ExperimentConfig& cfg,
                                          const std::vector<int64_t>& input_shape) {
  const BackboneInfo& info = BackboneRegistry::instance().get(cfg.backbone);
  return info.create(BackboneContext{cfg, input_shape, cfg.scope("model")});
}

AlgorithmContext algorithm_context(const ExperimentConfig& cfg) {
  AlgorithmContext context;
  context.settings = cfg;
  context.options = cfg.scope("algo");
  return context;
}

std::string code_identity(const ExperimentConfig& cfg) {
  return code_identity(
      {{AlgorithmInfo::kKind, AlgorithmRegistry::instance().get(cfg.algorithm).name},
       {DatasetInfo::kKind, DatasetRegistry::instance().get(cfg.dataset).name},
       {BackboneInfo::kKind, BackboneRegistry::instance().get(cfg.backbone).name}});
}

}  // namespace metabench
