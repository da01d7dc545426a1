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
#include "transforms/grad/grad.h"
#include "transforms/jacobians/hessian.h"
#include "transforms/jacobians/hvp.h"
#include "transforms/jacobians/jacfwd.h"
#include "transforms/jacobians/jacobian.h"
#include "transforms/jacobians/jacrev.h"
#include "transforms/jvp/jvp.h"
#include "transforms/vmap/vmap.h"
