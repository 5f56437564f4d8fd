#include "metabench/losses.h"

#include <ATen/ATen.h>

#include <cmath>

namespace metabench {

at::Tensor task_loss(const at::Tensor& outputs, const at::Tensor& targets, TaskKind kind) {
  if (kind == TaskKind::kClassification) return at::cross_entropy_loss(outputs, targets);
  return at::mse_loss(outputs, targets);
}

double task_accuracy(const at::Tensor& outputs, const at::Tensor& targets, TaskKind kind) {
  if (kind != TaskKind::kClassification) return std::nan("");
  return outputs.argmax(1).eq(targets).to(at::kDouble).mean().item<double>();
}

StepResult score(const at::Tensor& outputs, const at::Tensor& targets, TaskKind kind) {
  return {task_loss(outputs, targets, kind).item<double>(), task_accuracy(outputs, targets, kind)};
}

at::Tensor per_task_loss(const at::Tensor& outputs, const at::Tensor& targets, TaskKind kind) {
  const int64_t tasks = outputs.size(0);
  if (kind == TaskKind::kClassification) {
    return at::cross_entropy_loss(outputs.reshape({-1, outputs.size(2)}), targets.reshape({-1}),
                                  /*weight=*/{}, at::Reduction::None)
        .view({tasks, -1})
        .mean(1);
  }
  return at::mse_loss(outputs, targets, at::Reduction::None).reshape({tasks, -1}).mean(1);
}

std::vector<StepResult> score_tasks(const at::Tensor& outputs, const at::Tensor& targets,
                                    TaskKind kind) {
  const int64_t tasks = outputs.size(0);
  const at::Tensor losses = per_task_loss(outputs, targets, kind);
  at::Tensor accuracies;
  if (kind == TaskKind::kClassification) {
    accuracies = outputs.argmax(2).eq(targets).to(at::kDouble).mean(1);
  }
  const at::Tensor l = losses.to(at::kDouble).cpu().contiguous();
  const at::Tensor a = accuracies.defined() ? accuracies.cpu().contiguous() : at::Tensor();
  std::vector<StepResult> results(static_cast<size_t>(tasks));
  for (int64_t t = 0; t < tasks; ++t) {
    results[t].loss = l.data_ptr<double>()[t];
    results[t].accuracy = a.defined() ? a.data_ptr<double>()[t] : std::nan("");
  }
  return results;
}

StepResult backward_mean_loss(const std::vector<Episode>& batch, TaskKind kind,
                              const std::function<EpisodeLoss(const Episode&)>& episode_loss) {
  StepResult mean;
  const double n = static_cast<double>(batch.size());
  for (const Episode& episode : batch) {
    const EpisodeLoss e = episode_loss(episode);
    ((e.objective.defined() ? e.objective : e.loss) / n).backward();
    mean.loss += e.loss.item<double>() / n;
    mean.accuracy += task_accuracy(e.outputs.detach(), e.targets, kind) / n;
  }
  return mean;
}

StepResult backward_mean_query_loss(const std::vector<Episode>& batch,
                                    const std::function<at::Tensor(const Episode&)>& logits) {
  return backward_mean_loss(batch, TaskKind::kClassification, [&](const Episode& episode) {
    const at::Tensor l = logits(episode);
    return EpisodeLoss{
        task_loss(l, episode.query_y, TaskKind::kClassification), l, episode.query_y, {}};
  });
}

int64_t head_outputs(TaskKind kind, int64_t ways) {
  return kind == TaskKind::kClassification ? ways : 1;
}

}  // namespace metabench
