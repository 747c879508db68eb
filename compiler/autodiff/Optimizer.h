//===- Optimizer.h - optimizer updates as IR --------------------*- C++ -*-===//
#pragma once

#include "ir/Program.h"

#include <map>

namespace nnc {

/// Emits the optimizer's update of every trainable parameter as IR nodes
/// (PyTorch's update formulas), adding optimizer-state tensors such as
/// momentum buffers to the program. Returns (state index, new value) pairs.
/// `learningRate` receives the step's learning rate (an f64 scalar node, a
/// function of the step counter when there is a schedule).
std::vector<std::pair<int, Node *>>
buildOptimizerUpdates(Program &p, const std::map<const Node *, Node *> &grads,
                      Node **learningRate = nullptr);

/// f64 scalar state tensors that schedules read and that the caller of
/// train_step (the trainer, or a C program) writes between steps.
/// `per: epoch` schedules: the number of epochs completed before this one.
inline constexpr const char *kEpochState = "optimizer.epoch";
/// plateau: the learning rate is lr * this factor (1 at first).
inline constexpr const char *kLrFactorState = "optimizer.lr_factor";
/// plateau: ReduceLROnPlateau's best, num_bad_epochs and cooldown_counter.
inline constexpr const char *kPlateauBestState = "optimizer.plateau_best";
inline constexpr const char *kPlateauBadEpochsState = "optimizer.plateau_bad_epochs";
inline constexpr const char *kPlateauCooldownState = "optimizer.plateau_cooldown";

/// What ReduceLROnPlateau keeps between its steps, as the state tensors
/// above hold it.
struct PlateauState {
  double lrFactor = 1, best = 0, badEpochs = 0, cooldown = 0;
};

/// One torch.optim.lr_scheduler.ReduceLROnPlateau.step(value) of torch
/// 1.13 for the optimizer `opt` (schedule "plateau"): updates `s` and
/// returns whether the learning rate was reduced.
bool reduceOnPlateau(const OptimizerSpec &opt, PlateauState &s, double value);

} // namespace nnc
