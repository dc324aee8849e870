// The whole actor runtime in one include.
#pragma once

#include "janus/rt/actor.hpp"
#include "janus/rt/callbacks.hpp"
#include "janus/rt/cancellation.hpp"
#include "janus/rt/metrics.hpp"
#include "janus/rt/result.hpp"
#include "janus/rt/scheduler.hpp"
#include "janus/rt/sleep.hpp"
#include "janus/rt/stream.hpp"
#include "janus/rt/supervisor.hpp"
#include "janus/rt/task.hpp"
