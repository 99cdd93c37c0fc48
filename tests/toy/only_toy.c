/* only_toy.c -- linked into the toy copies of the conformance suite: run
 * only the cases of the collector named TOY_FILTER ("*" "/toy"), since
 * the registered collectors' cases are the ordinary suite's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

__attribute__((constructor)) static void only_toy(void) {
  cmocka_set_test_filter(TOY_FILTER);
}
