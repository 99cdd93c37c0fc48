/*
 * fuzz_model.c -- the model-based mutator of tests/model (model.c) driven
 * by libFuzzer's bytes instead of a seeded PRNG.
 *
 * Byte 0 picks the configuration (a collector or a profile: modulo their
 * number); every later choice the mutator makes (tunables, operations,
 * what a finalizer does) reads the next bytes, one for a choice among at
 * most 256, more for larger ones.  The run ends when the bytes do, or
 * after MAX_STEPS steps.  Any check the model makes that fails aborts with
 * its one-line message (model.h lists them).  FUZZ_MODEL_AVOID in the
 * environment takes test_model's --avoid list, to look past a known
 * defect.
 *
 * The seed corpus (corpus/fuzz_model) is one file of pseudo-random bytes
 * per configuration, byte 0 naming it.  Built as a libFuzzer target with
 * clang, and as a replayer of the corpus (replay.c) in every build.
 */
#include <stdio.h>
#include <stdlib.h>

#include "model.h"

#define MAX_STEPS 4000

static void die(const char *msg) {
  fprintf(stderr, "fuzz_model: %s\n", msg);
  abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int ready;
  static unsigned avoid;
  if (!ready) {
    const char *env = getenv("FUZZ_MODEL_AVOID");
    if (env && model_parse_avoid(env, &avoid) != 0)
      die("FUZZ_MODEL_AVOID takes move, steal-cycle, truncate-push, all or "
          "none");
    ready = 1;
  }
  if (size < 2) return 0;
  model_opts o = {.config = data[0] % model_config_count(),
                  .steps = MAX_STEPS,
                  .avoid = avoid,
                  .fail = die};
  model_src src;
  model_src_bytes(&src, data + 1, size - 1);
  model_result res;
  model_run(&o, &src, &res);
  return 0;
}
