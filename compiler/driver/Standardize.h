//===- Standardize.h - --standardize: fitted input statistics ---*- C++ -*-===//
//
// `nnc train --standardize NAME` fits NAME's mean and standard deviation on
// the training data (Keras' Normalization.adapt) and the model computes with
// (NAME - NAME.mean) / NAME.std (sema/Standardize.cpp). The statistics are
// buffers in the checkpoint, so a checkpoint that holds them makes eval,
// predict, export and a resumed run standardise the same way.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "driver/Dataset.h"
#include "driver/ModelInstance.h"
#include "driver/Session.h"

namespace nnc {

/// Which inputs the model standardises, decided before it is lowered: each
/// --standardize flag, and the NAME.mean / NAME.std buffers of a --params,
/// --resume or --init-params checkpoint. False (printed) on a malformed
/// flag, or on a flag eval/predict/export cannot honour (no checkpoint
/// holds its statistics).
bool loadStandardization(Session &s);

/// After lowering: every --standardize flag names an input of the model;
/// false (printed, with a suggestion) when one does not.
bool checkStandardization(const Session &s);

/// train: fits the statistics of every standardised input that no
/// checkpoint loaded, on `data` (the training samples, after --scale and
/// the validation split), and prints them. A channel whose values are all
/// equal gets std 1, so it stays 0 after centring.
bool fitStandardization(const Session &s, const Dataset &data, ModelInstance &model);

/// train: a warning for image-like inputs (two or more axes per sample)
/// whose values are raw pixels (whole numbers up to 255) with neither
/// --scale nor --standardize: such inputs give huge losses and no learning.
void warnRawPixels(const Session &s, const Dataset &data);

} // namespace nnc
