// fnx: composable function transforms for C++. One include for everything
// linked by the //:fnx target.
#pragma once

#include "core/dispatch.h"
#include "core/error.h"
#include "core/generator.h"
#include "core/ops/ops.h"
#include "core/param_dict.h"
#include "core/plugin.h"
#include "core/tensor.h"
#include "core/tree.h"
